// @ts-check
import tseslint from 'typescript-eslint';

/** Anything that is not the deterministic SDK (@temporalio/workflow, @temporalio/common) or a relative path. */
const onlyWorkflowSdkOrRelative = {
  regex: '^(?!@temporalio/(workflow|common)$|\\.{1,2}/)',
  allowTypeImports: true,
  message: 'Workflow code is deterministic: import only @temporalio/workflow, domain/ and types.',
};
/** Schemas (zod, yaml) cost memory and CPU in every cached workflow; the sandbox gets domain/rules/ only. */
const domainOutsideRules = {
  regex: '(^|/)domain/(?!rules/)',
  allowTypeImports: true,
  message: 'Workflows import domain/rules/ (pure, dependency-free) as values; the rest of domain/ as types only.',
};
const sideEffectLayers = {
  regex: '(^|/)(activities|api|ledger|worker|server|config)(/|$)',
  allowTypeImports: true,
  message: 'Workflow and domain code may import these layers as types only.',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'web/dist/', 'bench/results/', 'test-results/'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [onlyWorkflowSdkOrRelative, domainOutsideRules, sideEffectLayers] },
      ],
    },
  },
  {
    // domain/ is bundled into the workflow sandbox: pure code, zod and yaml only.
    files: ['domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!zod$|yaml$|@temporalio/workflow$|\\.{1,2}/)', allowTypeImports: true, message: 'domain/ is pure: no Node built-ins or side-effecting packages.' },
            sideEffectLayers,
          ],
        },
      ],
    },
  },
  {
    // domain/rules/ runs in every cached workflow: no packages at all, and nothing from the rest of domain/ but types.
    files: ['domain/rules/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!\\./)', allowTypeImports: true, message: 'domain/rules/ is dependency-free: value imports only from ./ (types from anywhere in domain/).' },
          ],
        },
      ],
    },
  },
  {
    // Tests read arbitrary JSON responses.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The web console: plain ES modules that run in the browser, served as they are.
    files: ['web/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'fetch', 'sessionStorage', 'URL', 'URLSearchParams', 'Blob', 'setTimeout', 'setInterval', 'clearInterval']
          .map((name) => [name, 'readonly']),
      ),
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-undef': 'error' },
  },
);
