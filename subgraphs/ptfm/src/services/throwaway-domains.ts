import { readFileSync } from 'node:fs';

/**
 * The throwaway (disposable) email domains: the list the `disposable-email-domains` package ships as JSON (MIT,
 * no install script, read offline), plus the domains operators add (PTFM_ANALYSIS_THROWAWAY_DOMAINS). A domain
 * under a listed one (inbox.mailinator.com) is throwaway too: such services hand out subdomains freely.
 */
export class ThrowawayDomains {
  private readonly domains: ReadonlySet<string>;

  constructor(extra: readonly string[] = [], shipped: readonly string[] = shippedList()) {
    this.domains = new Set([...shipped, ...extra].map((d) => d.toLowerCase()));
  }

  has(domain: string | undefined): boolean {
    if (!domain) return false;
    const labels = domain.toLowerCase().replace(/\.$/, '').split('.');
    // Down to the registrable part: `com` alone is never listed, and looking it up costs nothing.
    for (let i = 0; i < labels.length - 1; i++) if (this.domains.has(labels.slice(i).join('.'))) return true;
    return false;
  }

  get size(): number {
    return this.domains.size;
  }
}

function shippedList(): string[] {
  return JSON.parse(readFileSync(require.resolve('disposable-email-domains'), 'utf8')) as string[];
}
