/**
 * The client's answer types without zod. The gateway declares its JSON answers as zod schemas
 * (src/protocol/answers.ts) and the client reads them as types only; but the declaration tsc
 * writes for them names zod, which this package does not install. So after tsc, the types of
 * those schemas are printed out in full, as plain TypeScript, over that declaration, and the
 * module's JavaScript (which would load zod) is removed: the client never loads it.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.resolve(here, '../../src/protocol/answers.ts');
const out = path.join(here, 'dist/protocol/answers');

const program = ts.createProgram([source], {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  skipLibCheck: true,
});
const checker = program.getTypeChecker();
const module = checker.getSymbolAtLocation(program.getSourceFile(source));
const exported = (name) => {
  const symbol = checker.getExportsOfModule(module).find((candidate) => candidate.name === name);
  if (!symbol) throw new Error(`${source} exports no ${name}`);
  return symbol;
};
const flags = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias | ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType;
/** The output type of the zod schema `symbol` (its `_zod.output`), printed in full. */
const outputOf = (schemaType) => {
  const zod = checker.getPropertyOfType(schemaType, '_zod');
  const output = checker.getPropertyOfType(checker.getTypeOfSymbol(zod), 'output');
  return checker.typeToString(checker.getTypeOfSymbol(output), undefined, flags);
};

const answers = checker.getTypeOfSymbol(exported('ANSWERS'));
const entries = checker.getPropertiesOfType(answers).map((route) => `  ${route.name}: ${outputOf(checker.getTypeOfSymbol(route))};`);
const declaration = `// Printed from src/protocol/answers.ts by answerTypes.mjs: the JSON answers' types, as the schemas declare them.
/** The JSON each route answers with on success. */
export interface Answers {
${entries.join('\n')}
}
export type AnsweredRoute = keyof Answers;
/** The JSON a route answers with on success. */
export type AnswerOf<R extends AnsweredRoute> = Answers[R];
export type ErrorAnswer = ${outputOf(checker.getTypeOfSymbol(exported('errorAnswer')))};
`;
if (/zod|\bany\b/.test(declaration)) throw new Error(`The answer types could not be printed without zod:\n${declaration}`);
writeFileSync(`${out}.d.ts`, declaration);
rmSync(`${out}.js`, { force: true });
