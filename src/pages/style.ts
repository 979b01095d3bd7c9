/** The one stylesheet of every page, served from `/assets/style.css`: no CDN, no web fonts. */
export const STYLESHEET = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --card: #ffffff; --text: #1d2330; --muted: #5b6475; --border: #dde1e8;
  --accent: #f38020; --accent-text: #ffffff; --danger: #c62828; --warn-bg: #fff4e5; --warn-border: #f0b35a;
  --code-bg: #f0f2f5;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b; --card: #1b2029; --text: #e7eaf0; --muted: #9aa3b5; --border: #2c3340;
    --warn-bg: #3a2a12; --warn-border: #8a6120; --code-bg: #232a35;
  }
}
* { box-sizing: border-box; }
html { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
body { margin: 0; background: var(--bg); color: var(--text); }
header.top { display: flex; align-items: center; justify-content: space-between; gap: 1rem;
  padding: .75rem 1.5rem; border-bottom: 1px solid var(--border); background: var(--card); }
header.top a.brand { font-weight: 650; color: var(--text); text-decoration: none; }
header.top .who { color: var(--muted); font-size: .9rem; display: flex; gap: .75rem; align-items: center; }
main { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
main.narrow { max-width: 28rem; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 1.5rem 1.75rem;
  box-shadow: 0 1px 2px rgb(0 0 0 / 4%); }
.card + .card { margin-top: 1.25rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .75rem; }
h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
p { margin: .5rem 0; }
.muted { color: var(--muted); }
a { color: inherit; text-underline-offset: 2px; }
code, pre { font: .875rem/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--code-bg);
  border-radius: 6px; }
code { padding: .1rem .3rem; overflow-wrap: anywhere; }
pre { padding: .75rem 1rem; overflow-x: auto; }
label { display: block; font-weight: 550; margin: .9rem 0 .3rem; }
input[type=email], input[type=password], input[type=text] { width: 100%; padding: .6rem .7rem; font: inherit;
  color: inherit; background: var(--bg); border: 1px solid var(--border); border-radius: 8px; }
input:focus-visible, button:focus-visible { outline: 3px solid color-mix(in srgb, var(--accent) 45%, transparent);
  outline-offset: 1px; }
.actions { display: flex; gap: .75rem; margin-top: 1.25rem; flex-wrap: wrap; }
button, a.button { font: inherit; font-weight: 600; padding: .6rem 1.2rem; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--border); background: var(--card); color: var(--text); text-decoration: none; }
button.primary, a.button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
.methods { display: flex; flex-direction: column; gap: .6rem; margin: 1rem 0; }
.methods a.button { text-align: center; }
.or { text-align: center; color: var(--muted); margin: 1rem 0 .25rem; }
button.link { background: none; border: none; padding: 0; font-weight: 500; color: var(--muted); text-decoration: underline; }
.warning { background: var(--warn-bg); border: 1px solid var(--warn-border); border-radius: 8px; padding: .6rem .8rem;
  margin: .75rem 0; }
.error { border-left: 4px solid var(--danger); }
ul.scopes { list-style: none; padding: 0; margin: .5rem 0; }
ul.scopes li { padding: .45rem 0; border-top: 1px solid var(--border); display: flex; gap: .6rem; align-items: baseline; }
ul.scopes li:first-child { border-top: none; }
ul.scopes input { margin: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; margin: .75rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
footer { text-align: center; color: var(--muted); font-size: .85rem; margin: 2rem 0; }
.remember { display: flex; gap: .6rem; align-items: baseline; margin: 1rem 0 0; }
.remember input { margin: 0; }
.remember label { margin: 0; font-weight: 400; }
.notice { background: var(--code-bg); border-radius: 8px; padding: .6rem .8rem; }
.app h2 { overflow-wrap: anywhere; }
ul.granted { list-style: none; padding: 0; margin: 0; }
button.danger { color: var(--danger); border-color: var(--danger); }
`;
