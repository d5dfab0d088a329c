// ESM entry point: the same package as `index.js`. Node finds the named exports in `index.js`'s
// `module.exports = { … }` literal, so the names are listed once, there.
export * from './index.js'
export { default } from './index.js'
