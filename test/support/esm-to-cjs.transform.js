/**
 * Jest transform for JavaScript in node_modules. Files with ESM syntax (NestJS 12 packages and a few
 * of their dependencies) are compiled to CommonJS; `import.meta.url` and `createRequire(import.meta.url)`
 * become their CommonJS equivalents. Everything else passes through untouched.
 */
const { TsJestTransformer } = require('ts-jest');

const inner = new TsJestTransformer({
  tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true, esModuleInterop: true },
  diagnostics: false,
});

const ESM_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s)/m;
const isEsm = (src) => ESM_SYNTAX.test(src) || src.includes('import.meta');

const toCommonJs = (src) =>
  src
    .replace(/^(const|let|var) require = \(?\s*\(?0?,?\s*[\w.]*createRequire\)?\(import\.meta\.url\);?$/gm, '')
    .replace(/import\.meta\.url/g, "require('url').pathToFileURL(__filename).href")
    .replace(/import\.meta\.dirname/g, '__dirname')
    .replace(/import\.meta\.filename/g, '__filename');

module.exports = {
  process(src, file, options) {
    // Loaded through a dynamic import(): jest runs it as a real ES module, leave it alone.
    if (options.supportsStaticESM) return { code: src };
    return isEsm(src) ? inner.process(toCommonJs(src), file, options) : { code: src };
  },
  getCacheKey(src, file, options) {
    return `${inner.getCacheKey(src, file, options)}:esm-to-cjs-2:${options.supportsStaticESM ? 'esm' : 'cjs'}`;
  },
};
