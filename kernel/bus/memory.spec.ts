import { describeBusContract } from './bus.contract';
import { createMemoryBus } from './memory';

describeBusContract('memory', () => createMemoryBus());
