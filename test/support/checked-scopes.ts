import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { fromRoot } from '../../kernel/paths';

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'prisma' || entry.name === 'node_modules' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });

/**
 * Every OAuth scope the code under `folders` checks, with where: each string literal TypeScript reads as a `Scope`
 * (kernel/scopes.ts), which is what requireScope, hasScope and every helper that passes a scope on take, a
 * `'x' as Scope` included. The compiler, not a pattern, decides what is a scope, so a check cannot hide from it.
 */
export function checkedScopes(folders: string[]): Map<string, string[]> {
  const files = folders.flatMap((folder) => sources(fromRoot(folder)));
  const scopesFile = fromRoot('kernel', 'scopes.ts');
  const program = ts.createProgram([...files, scopesFile], {
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
    resolveJsonModule: true,
    esModuleInterop: true,
  });
  const checker = program.getTypeChecker();
  const alias = program
    .getSourceFile(scopesFile)!
    .statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === 'Scope');
  if (!alias) throw new Error('kernel/scopes.ts declares no Scope type');
  const scopeType = checker.getTypeAtLocation(alias.name);
  const isScope = (type: ts.Type | undefined) => type !== undefined && (type === scopeType || type.aliasSymbol?.name === 'Scope');

  const found = new Map<string, string[]>();
  for (const file of files) {
    const source = program.getSourceFile(file)!;
    const visit = (node: ts.Node) => {
      if (ts.isStringLiteralLike(node) && ts.isExpression(node) && isScope(checker.getContextualType(node))) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        found.set(node.text, [...(found.get(node.text) ?? []), `${relative(fromRoot(), file)}:${line + 1}`]);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}
