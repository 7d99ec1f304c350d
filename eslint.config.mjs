// Type-aware linting for the whole monorepo (typescript-eslint's flat config).
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ROOT = import.meta.dirname;

/**
 * Module boundaries, checked on the resolved path (so `../../x` is judged by where it lands, not by
 * how it is spelled):
 * - an app never imports another app: apps talk over NATS (libs/contracts); shared code goes in a lib;
 * - a lib never imports an app;
 * - outside a lib, its code is reached only through its index, `@platform/<lib>` — never
 *   `@platform/<lib>/src/…` nor a relative path into `libs/<lib>/`.
 * Tests, bench and scripts are not apps: they may import an app's files (apps have no index), but a
 * lib's only through its index too.
 */
const boundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'No app imports another app or is imported by a lib; libs are imported by their index only.' },
    schema: [],
    messages: {
      crossApp: "apps/{{from}} imports apps/{{to}} ('{{spec}}'): apps talk over NATS (libs/contracts); move shared code to a lib.",
      libImportsApp: "libs/{{from}} imports apps/{{to}} ('{{spec}}'): a lib never depends on an app.",
      libInternals: "'{{spec}}' reaches into libs/{{lib}}: import '@platform/{{lib}}' (its index), exporting from it what you need.",
    },
  },
  create(context) {
    const unitOf = (rel) => /^(apps|libs)\/([^/]+)(?:\/|$)/.exec(rel);
    const here = unitOf(path.relative(ROOT, context.filename).split(path.sep).join('/'));
    const check = (node, spec) => {
      if (typeof spec !== 'string') return;
      const alias = /^@platform\/([^/]+)(\/.*)?$/.exec(spec);
      if (alias) {
        if (alias[2]) context.report({ node, messageId: 'libInternals', data: { spec, lib: alias[1] } });
        return;
      }
      let abs;
      if (spec.startsWith('.')) abs = path.resolve(path.dirname(context.filename), spec);
      else if (path.isAbsolute(spec)) abs = spec;
      else if (/^(apps|libs)\//.test(spec)) abs = path.join(ROOT, spec);
      else return; // a package
      const there = unitOf(path.relative(ROOT, abs).split(path.sep).join('/'));
      if (!there || (here && here[1] === there[1] && here[2] === there[2])) return;
      if (there[1] === 'libs') context.report({ node, messageId: 'libInternals', data: { spec, lib: there[2] } });
      else if (here?.[1] === 'apps') context.report({ node, messageId: 'crossApp', data: { spec, from: here[2], to: there[2] } });
      else if (here?.[1] === 'libs') context.report({ node, messageId: 'libImportsApp', data: { spec, from: here[2], to: there[2] } });
    };
    const source = (node) => node.source && check(node.source, node.source.value);
    return {
      ImportDeclaration: source,
      ExportNamedDeclaration: source,
      ExportAllDeclaration: source,
      ImportExpression: source,
      TSImportType: source,
      TSExternalModuleReference: (node) => check(node.expression, node.expression.value),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments[0]?.type === 'Literal')
          check(node.arguments[0], node.arguments[0].value);
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.stack/**', 'coverage/**', '**/*.d.mts'] },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { platform: { rules: { boundaries } } },
    rules: { 'platform/boundaries': 'error' },
  },
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Real bugs we want caught.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Nest's decorators, DI and dynamic JSON make these noisy without catching bugs.
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      'preserve-caught-error': 'off',
      // Filename sanitising matches control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        ['process', 'console', 'Buffer', 'URL', 'fetch', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'AbortController', 'AbortSignal', 'TextDecoder', 'TextEncoder', 'performance', 'structuredClone', 'queueMicrotask', 'FormData', 'Blob', 'Response', 'Request', 'Headers'].map((g) => [g, 'readonly']),
      ),
    },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }], 'preserve-caught-error': 'off' },
  },
);
