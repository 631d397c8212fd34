import type { ChatMessageCreatedData } from '../contracts/events/types';

/** The payload rt-gtw's ChatMessages selection produces for a message, built by hand for the raw baselines. */
export function chatMessagesPayload(data: ChatMessageCreatedData): string {
  const chatMessages = {
    id: data.messageId,
    channelId: data.channelId,
    sender: { id: data.senderId, login: data.senderLogin, displayName: data.senderDisplayName },
    text: data.text,
    fragments: data.fragments.map((f) => ({ ...f, type: f.type.toUpperCase() })),
    replyToId: data.replyToId,
    badges: data.badges.map((b) => b.toUpperCase()),
    sentAt: data.sentAt,
  };
  return JSON.stringify({ data: { chatMessages } });
}
