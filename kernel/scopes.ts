/**
 * The OAuth scopes a third-party app may ask a user for, in Twitch's style (`<resource>:<action>:<object>`): the
 * closed list the authorization server offers and the subgraphs check. Our own apps (session tokens) need none.
 */
export const SCOPES = {
  'user:read:email': "Read the user's email address",
  'channel:manage:broadcast': "Change the user's channel: title, category, language, tags",
  'channel:read:followers': "Read who follows the user's channel",
  'channel:manage:moderators': "Add and remove moderators of the user's channel",
  'channel:manage:vips': "Add and remove VIPs of the user's channel",
  'channel:manage:emotes': "Add and remove the emotes of the user's channel",
  'clips:edit': "Make clips of channels' live streams and videos in the user's name",
  'chat:read': "Read chat messages in the user's name",
  'chat:edit': "Send chat messages in the user's name",
  'moderator:manage:banned_users': 'Ban and unban users in channels the user moderates',
  'moderator:manage:chat_messages': 'Delete chat messages in channels the user moderates',
  'moderator:read:chatters': 'List the chatters of channels the user moderates',
  'moderator:manage:chat_settings':
    'Change the chat settings of channels the user moderates: slow mode, followers-only, emote-only, unique chat',
  'moderator:read:blocked_terms': 'Read the blocked terms of channels the user moderates',
  'moderator:manage:blocked_terms': 'Add and remove blocked terms in channels the user moderates',
} as const;

export type Scope = keyof typeof SCOPES;

export const SCOPE_NAMES = Object.keys(SCOPES) as Scope[];

export const isScope = (value: string): value is Scope => Object.hasOwn(SCOPES, value);

/** The resource server every Public API access token is issued for (its `aud`). */
export const PUBLIC_API_RESOURCE = 'urn:streaming:public-api';
