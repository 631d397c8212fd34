import { fromRoot } from '../paths';

/** The stylesheet every page of ours shares, whichever process serves the page. */
export const FACES_CSS_FILE = fromRoot('kernel', 'faces', 'faces.css');

export const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A page of ours: the shared look (`stylesheet`, served by the process at that path), `head` and `body` as given. */
export const facesPage = (title: string, body: string, options: { stylesheet: string; head?: string }) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${escapeHtml(options.stylesheet)}">
${options.head ?? ''}
</head>
<body>
${body}
</body>
</html>
`;
