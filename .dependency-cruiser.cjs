// Architecture rules, checked by `npm run lint:deps` (dependency-cruiser).
//
// Imports flow one way:
//   pipeline/ → src/index.ts → src/api → src/{parsing, facts, kadapter, tasks, methods, eval}
//     → src/services → src/config → src/data → src/util
// (src/api is the library's public surface and src/index.ts its entry; pipeline/ and scripts/ may
// also import the middle layer directly; scripts/ never import pipeline/.)
// The bottom layer is ordered: src/util imports nothing from the project, src/data (the contracts
// between stages) imports only src/util, src/config imports src/data and src/util — so no cycle
// runs between these folders, even through files that do not import each other.
// Inside the middle layer: kadapter ← {tasks, methods} ← eval (each may import those to its left,
// never the reverse); parsing and facts are independent of each other and of the model side.
// Nothing under src/ imports pipeline/, scripts/, test/ or bin/. Type-only imports count like any
// other (tsPreCompilationDeps), and no import cycle is allowed anywhere, test files included.
//
// Test files (*.test.ts) are exempt from the layer rules (integration tests drive pipeline stages
// and share helpers under test/), not from the cycle rule. src/types/*.d.ts holds ambient
// declarations for untyped packages and is imported by no one.
//
// Paths are relative to the directory depcruise runs in (the repository root).

const TEST = '\\.test\\.ts$';
const BOTTOM = '^src/(config|data|util)/';
const SERVICES = '^src/services/';
const MIDDLE = '^src/(parsing|facts|kadapter|tasks|methods|eval)/';
const API = '^src/(api/|index\\.ts$)';
const KNOWN_SRC = '^src/((config|data|util|services|parsing|facts|kadapter|tasks|methods|eval|types|api)/|index\\.ts$)';
const PROJECT = '^(src|pipeline|scripts|test|bin)/';
const OUTSIDE_SRC = '^(pipeline|scripts|test|bin)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles at all, type-only imports and test files included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'Every import resolves to a file or package. (Also guards the layer rules: an import the ' +
        'resolver cannot follow would otherwise slip past them unseen.)',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'layer-bottom-imports-upward',
      severity: 'error',
      comment:
        'src/config, src/data and src/util are the bottom layer (in that order, see below): they never ' +
        'import src/services, src/{parsing,facts,kadapter,tasks,methods,eval}, src/api or anything outside src/.',
      from: { path: BOTTOM, pathNot: TEST },
      to: { path: [SERVICES, MIDDLE, API, OUTSIDE_SRC] },
    },
    {
      name: 'util-imports-project',
      severity: 'error',
      comment:
        'src/util is the floor: generic helpers (files, hashing, JSON, locks) that import nothing from ' +
        'the project but each other. A schema of a project file lives with the module that reads and writes it.',
      from: { path: '^src/util/', pathNot: TEST },
      to: { path: PROJECT, pathNot: '^src/util/' },
    },
    {
      name: 'data-imports-config',
      severity: 'error',
      comment:
        'The bottom layer is ordered util ← data ← config: src/data (rows, splits, layout: the contracts ' +
        'between stages) may import src/util only; src/config may import both.',
      from: { path: '^src/data/', pathNot: TEST },
      to: { path: '^src/config/' },
    },
    {
      name: 'layer-services-imports-upward',
      severity: 'error',
      comment: 'src/services imports only src/services and the bottom layer (src/{config,data,util}).',
      from: { path: SERVICES, pathNot: TEST },
      to: { path: [MIDDLE, API, OUTSIDE_SRC] },
    },
    {
      name: 'middle-imports-api',
      severity: 'error',
      comment: 'src/api (and src/index.ts) sit above src/{parsing,facts,kadapter,eval}: nothing there imports them.',
      from: { path: MIDDLE, pathNot: TEST },
      to: { path: API },
    },
    {
      name: 'kadapter-imports-eval',
      severity: 'error',
      comment: 'src/eval may import src/kadapter; src/kadapter must not import src/eval.',
      from: { path: '^src/kadapter/', pathNot: TEST },
      to: { path: '^src/eval/' },
    },
    {
      name: 'kadapter-imports-tasks-or-methods',
      severity: 'error',
      comment:
        'src/tasks and src/methods are registered modules built on src/kadapter: they may import it, ' +
        'src/kadapter must not import them.',
      from: { path: '^src/kadapter/', pathNot: TEST },
      to: { path: '^src/(tasks|methods)/' },
    },
    {
      name: 'tasks-or-methods-imports-eval',
      severity: 'error',
      comment: 'src/eval may import src/tasks and src/methods; they must not import src/eval.',
      from: { path: '^src/(tasks|methods)/', pathNot: TEST },
      to: { path: '^src/eval/' },
    },
    {
      name: 'tasks-or-methods-imports-parsing-or-facts',
      severity: 'error',
      comment: 'src/tasks and src/methods read built data through src/data; they import neither data builder.',
      from: { path: '^src/(tasks|methods)/', pathNot: TEST },
      to: { path: '^src/(parsing|facts)/' },
    },
    {
      name: 'kadapter-imports-parsing-or-facts',
      severity: 'error',
      comment: 'src/kadapter is independent of the data builders src/parsing and src/facts.',
      from: { path: '^src/kadapter/', pathNot: TEST },
      to: { path: '^src/(parsing|facts)/' },
    },
    {
      name: 'parsing-imports-facts',
      severity: 'error',
      comment: 'src/parsing and src/facts are independent of each other.',
      from: { path: '^src/parsing/', pathNot: TEST },
      to: { path: '^src/facts/' },
    },
    {
      name: 'facts-imports-parsing',
      severity: 'error',
      comment:
        'src/facts and src/parsing are independent of each other (in particular src/facts/sources ' +
        'must not import src/parsing/sources); shared code belongs in a lower layer.',
      from: { path: '^src/facts/', pathNot: TEST },
      to: { path: '^src/parsing/' },
    },
    {
      name: 'parsing-or-facts-imports-kadapter-or-eval',
      severity: 'error',
      comment: 'src/parsing and src/facts build data; they import none of src/{kadapter,tasks,methods,eval}.',
      from: { path: '^src/(parsing|facts)/', pathNot: TEST },
      to: { path: '^src/(kadapter|tasks|methods|eval)/' },
    },
    {
      name: 'src-imports-outside-src',
      severity: 'error',
      comment: 'Nothing under src/ imports pipeline/, scripts/, test/ or bin/ (pipeline/ sits on top of src/).',
      from: { path: '^src/', pathNot: TEST },
      to: { path: OUTSIDE_SRC },
    },
    {
      name: 'scripts-imports-pipeline',
      severity: 'error',
      comment:
        'pipeline/ holds the stages, which only orchestrate: what a script shares with a stage lives in ' +
        'src/ and both import it from there.',
      from: { path: '^scripts/', pathNot: TEST },
      to: { path: '^pipeline/' },
    },
    {
      name: 'src-unknown-layer',
      severity: 'error',
      comment:
        'Every file under src/ belongs to a known layer folder. A new folder needs a place in the ' +
        'layer rules of .dependency-cruiser.cjs first.',
      from: { path: '^src/', pathNot: KNOWN_SRC },
      to: {},
    },
    {
      name: 'src-unknown-layer',
      severity: 'error',
      comment:
        'Every file under src/ belongs to a known layer folder. A new folder needs a place in the ' +
        'layer rules of .dependency-cruiser.cjs first.',
      from: {},
      to: { path: '^src/', pathNot: KNOWN_SRC },
    },
  ],
  options: {
    // Follow what the project itself resolves; packages are leaves.
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['^datasets/', '^reports/'] },
    // Type-only imports (`import type`, `export type … from`) are real dependencies here.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
