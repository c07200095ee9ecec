// The console's stylesheet (served as console.css): colours meet 4.5:1 contrast; under 700 px the
// tables turn into cards (each cell labelled with its column).
export const CONSOLE_CSS = `  :root { --bg: #f4f5f8; --card: #fff; --ink: #1b2130; --muted: #555e72; --line: #dde1e9; --bad: #b3202d; --badbg: #fde8ea; --ok: #17703d; --warn: #8a5a00; --accent: #2553c0; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--ink); }
  a { color: var(--accent); }
  header { display: flex; align-items: center; gap: 10px 18px; padding: 10px 20px; background: #1b2130; color: #fff; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header .meta { color: #c9d0e0; }
  .kind { display: inline-block; padding: 1px 8px; border-radius: 4px; background: #3a4560; color: #fff; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
  nav { display: flex; gap: 4px; flex-wrap: wrap; }
  nav a { color: #fff; text-decoration: none; padding: 6px 12px; border-radius: 6px; }
  nav a[aria-current="page"] { background: #3a4560; }
  nav a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, svg:focus-visible, summary:focus-visible { outline: 3px solid #f2b705; outline-offset: 2px; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 14px; padding: 14px 20px; }
  section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; display: flex; justify-content: space-between; align-items: center; gap: 8px; flex-wrap: wrap; }
  h3 { font-size: 14px; margin: 12px 0 6px; }
  .scroll { overflow-x: auto; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 5px 7px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; white-space: nowrap; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.sub td { background: #fafbfc; font-size: 13px; }
  .muted { color: var(--muted); }
  .code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12px; }
  pre { background: #f6f7f9; border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: auto; max-height: 360px; white-space: pre-wrap; word-break: break-word; }
  .bad { color: var(--bad); }
  .ok { color: var(--ok); }
  .warn { color: var(--warn); }
  .pill { display: inline-block; padding: 1px 8px; border-radius: 99px; background: #e6ecfa; color: var(--accent); font-size: 12px; }
  .st { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 12px; font-weight: 600; background: #eceef3; }
  .st.FATAL, .st.failed, .st.dead, .st.stale, .st.unresponsive { background: var(--badbg); color: var(--bad); }
  .st.RUNNING, .st.running, .st.done, .st.ready, .st.leading { background: #e3f4ea; color: var(--ok); }
  .st.paused, .st.BACKOFF, .st.draining, .st.retrying { background: #fff3d6; color: var(--warn); }
  button { font: inherit; padding: 3px 10px; border-radius: 5px; border: 1px solid var(--accent); background: #fff; color: var(--accent); cursor: pointer; min-height: 30px; }
  button.danger { border-color: var(--bad); color: var(--bad); }
  button:disabled { border-color: var(--line); color: var(--muted); cursor: not-allowed; }
  .btns { display: flex; gap: 4px; flex-wrap: wrap; }
  input, select { font: inherit; padding: 4px 6px; border: 1px solid #aab2c3; border-radius: 5px; background: #fff; color: var(--ink); min-height: 30px; }
  label { font-size: 13px; color: var(--muted); display: inline-flex; flex-direction: column; gap: 2px; }
  .filters { display: flex; gap: 8px; flex-wrap: wrap; align-items: flex-end; margin-bottom: 8px; }
  #token-box { display: none; gap: 6px; align-items: center; color: #fff; }
  #token-box label { color: #c9d0e0; flex-direction: row; align-items: center; gap: 6px; }
  #message { min-height: 1.4em; padding: 0 20px; margin-top: 8px; }
  #halted { display: none; padding: 10px 20px; background: var(--badbg); border-bottom: 2px solid var(--bad); color: var(--bad); font-weight: 600; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; }
  .chart { position: relative; }
  .chart svg { width: 100%; height: 190px; display: block; }
  .chart .tip { position: absolute; pointer-events: none; background: #1b2130; color: #fff; font-size: 12px; padding: 4px 8px; border-radius: 4px; white-space: nowrap; display: none; z-index: 2; }
  .legend { font-size: 12px; display: flex; flex-wrap: wrap; gap: 2px 12px; margin: 2px 0 4px; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
  .kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; }
  .kv dt { color: var(--muted); }
  .kv dd { margin: 0; }
  .tree { list-style: none; padding-left: 14px; border-left: 2px solid var(--line); }
  .view[hidden] { display: none; }
  @media (max-width: 700px) {
    main { grid-template-columns: 1fr; padding: 10px; gap: 10px; }
    header { padding: 8px 10px; }
    section { padding: 10px; }
    .charts { grid-template-columns: 1fr; }
    .hide-narrow { display: none; }
    /* tables become cards: each cell on its own line with its column's name */
    table.cards thead { display: none; }
    table.cards tr { display: grid; grid-template-columns: 1fr 1fr; gap: 2px 10px; padding: 8px 0; border-bottom: 1px solid var(--line); }
    table.cards td { border: 0; padding: 1px 0; }
    table.cards td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: 12px; }
    table.cards td:first-child, table.cards td.span { grid-column: 1 / -1; }
    table.cards td:first-child::before { content: none; }
    table.cards td.num { text-align: left; }
    table.cards td:empty { display: none; }
    table.cards tr.sub { padding-left: 10px; }
  }
`;
