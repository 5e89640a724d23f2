/// The report's style sheet: light and dark schemes (prefers-color-scheme), a phone
/// layout, and print rules that keep charts whole on A4 and Letter.
let reportCSS = """
:root{--bg:#f7f7f5;--card:#fff;--fg:#1d2327;--muted:#5f6b73;--line:#d9dde0;--track:#e9ecee;
--red:#c62828;--yellow:#b7791f;--green:#2e7d32;--accent:#2f5fa7;--quad:#f3f5f7;
--c0:#2f5fa7;--c1:#d1495b;--c2:#2e7d32;--c3:#8e5bb5;--c4:#d98b1e;--c5:#1b998b;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#15181b;--card:#1e2226;--fg:#e7eaed;--muted:#9aa6ae;--line:#353b41;
--track:#2c3237;--red:#ef6f6c;--yellow:#e8b34b;--green:#6cc070;--accent:#7aa7ee;--quad:#242a2f;
--c0:#7aa7ee;--c1:#ef7b8a;--c2:#6cc070;--c3:#b993dd;--c4:#f0ad4e;--c5:#4fd1c5}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1080px;margin:0 auto;padding:24px 20px 40px}
h1{font-size:1.9rem;margin:0 0 8px}h2{font-size:1.3rem;margin:0 0 12px;border-bottom:2px solid var(--line);padding-bottom:4px}
h3{font-size:1.05rem;margin:16px 0 4px}h4{margin:8px 0 4px;font-size:.95rem}
code{font:.88em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.muted,.sub{color:var(--muted)}.sub{font-weight:normal}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}.facts dt{font-weight:600}.facts dd{margin:0}
.chip{display:inline-block;border:1px solid var(--line);border-radius:10px;padding:0 8px;margin:1px 0;font-size:.85em;background:var(--card)}
.toc{display:flex;flex-wrap:wrap;gap:6px 14px;margin:14px 0;font-size:.9rem}.toc a{color:var(--accent);text-decoration:none}
.section,.summary{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:16px 0}
.summary{display:grid;grid-template-columns:minmax(200px,260px) 1fr;gap:18px;align-items:start}
.score-card{text-align:center}.score-card .big{font-size:3rem;font-weight:700;line-height:1.1}
.score-card.s-red .big{color:var(--red)}.score-card.s-yellow .big{color:var(--yellow)}.score-card.s-green .big{color:var(--green)}
.score-card svg.bars{margin-top:6px}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:14px}.stats h3{margin-top:0}
.stats ol,.stats ul{margin:4px 0;padding-left:20px}
.badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:.85em;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.s-red{color:var(--red)}.s-yellow{color:var(--yellow)}.s-green{color:var(--green)}.s-none{color:var(--muted)}
.fig{margin:8px 0}.fig figcaption{font-size:.85rem;color:var(--muted)}
svg.chart{display:block;width:100%;height:auto;max-width:100%;font-size:12px;font-family:inherit}
svg.bars,svg.scenarios{max-width:720px}.swot{display:grid;grid-template-columns:1fr 1fr;gap:8px;max-width:720px}svg.ie{max-width:400px}svg.line{max-width:640px}svg.gauge{max-width:240px;margin:6px auto 0}
svg .label{fill:var(--fg)}svg .tick,svg .quad-hint,svg .muted{fill:var(--muted);font-size:11px}
svg .axis-title{fill:var(--muted);font-size:12px;font-weight:600}
svg .track{fill:var(--track)}svg .guide{stroke:var(--muted);stroke-dasharray:2 3;stroke-width:1}
svg .bar.s-red{fill:var(--red)}svg .bar.s-yellow{fill:var(--yellow)}svg .bar.s-green{fill:var(--green)}svg .bar.s-none{fill:var(--muted)}
svg text.s-red{fill:var(--red)}svg text.s-yellow{fill:var(--yellow)}svg text.s-green{fill:var(--green)}svg text.s-none{fill:var(--muted)}
svg text.value{font-weight:600}svg .pace{stroke:var(--fg);stroke-width:2}
svg .quad-bg{fill:var(--quad);stroke:var(--line)}svg .quad-title{fill:var(--fg);font-weight:700;font-size:14px}
svg.q-strength .wbar,svg.q-opportunity .wbar{fill:var(--green)}svg.q-weakness .wbar,svg.q-threat .wbar{fill:var(--red)}
svg .ie-cell{stroke:var(--line);stroke-width:1.5}svg .r-grow{fill:color-mix(in srgb,var(--green) 16%,var(--card))}
svg .r-hold{fill:color-mix(in srgb,var(--yellow) 16%,var(--card))}svg .r-harvest{fill:color-mix(in srgb,var(--red) 14%,var(--card))}
svg .ie-cell.current{stroke:var(--fg);stroke-width:3}svg .ie-num{fill:var(--muted);font-weight:600}svg .ie-num.current{fill:var(--fg)}
svg .ie-point{fill:var(--accent);stroke:var(--card);stroke-width:2}svg .point-label{fill:var(--fg);font-weight:700}
svg .plot{fill:none;stroke:var(--line)}svg .grid{stroke:var(--line);stroke-width:.7}svg .axis{stroke:var(--muted)}
svg .series{fill:none;stroke-width:2.5;stroke-linejoin:round}svg .series.dashed{stroke-dasharray:6 4}svg .planned{fill:none;stroke:var(--muted);stroke-width:1.2;stroke-dasharray:2 3}svg .today{stroke:var(--fg);stroke-width:1;stroke-dasharray:1 2}svg .expected-marker{fill:none;stroke:var(--fg);stroke-width:2}
svg .band{opacity:.18;stroke:none}svg .median{fill:none;stroke-width:1.2;stroke-dasharray:2 3}
svg .hbar{fill:var(--c0);stroke:none}svg .pmark{stroke:var(--muted);stroke-dasharray:3 3}svg .mean{stroke:var(--fg);stroke-width:1.5}
.hist-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:10px}svg.histogram{max-width:420px}
svg .end-label{fill:var(--fg);font-weight:600}
svg .t-low{fill:var(--c1)}svg .t-high{fill:var(--c0)}svg .centre{stroke:var(--fg);stroke-width:1.5}svg.tornado{max-width:720px}
.c0{stroke:var(--c0);fill:var(--c0)}.c1{stroke:var(--c1);fill:var(--c1)}.c2{stroke:var(--c2);fill:var(--c2)}
.c3{stroke:var(--c3);fill:var(--c3)}.c4{stroke:var(--c4);fill:var(--c4)}.c5{stroke:var(--c5);fill:var(--c5)}
svg .series.c0,svg .series.c1,svg .series.c2,svg .series.c3,svg .series.c4,svg .series.c5{fill:none}
svg.scenarios text.tick{font-size:10px}svg .bar.c0,svg .bar.c1,svg .bar.c2,svg .bar.c3,svg .bar.c4,svg .bar.c5{stroke:none}
.swot-grid{display:grid;grid-template-columns:2fr 1fr;gap:16px;align-items:start}
.chart-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:14px}
.objective{border-top:1px solid var(--line);padding-top:6px}.objective:first-of-type{border-top:0}
.meta{margin:2px 0;font-size:.92rem}
.table-wrap{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.88rem;margin:6px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}th{font-weight:600;color:var(--muted)}
.num{text-align:right;white-space:nowrap}td.up{color:var(--green)}td.down{color:var(--red)}
.matrix td.cell{text-align:center;font-size:1.05rem}.matrix td.hit{background:color-mix(in srgb,var(--accent) 14%,transparent)}
.matrix tr.gap td:first-child{border-left:4px solid var(--red)}.matrix th.obj{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
details.items summary{cursor:pointer;color:var(--accent);font-size:.9rem}
.board{display:grid;grid-template-columns:repeat(4,1fr);gap:10px}.column{background:var(--quad);border-radius:8px;padding:8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:6px 8px;margin:6px 0;font-size:.88rem}.card p{margin:2px 0}
.col-went_well{border-top:4px solid var(--green)}.col-not_well{border-top:4px solid var(--red)}.col-learning{border-top:4px solid var(--accent)}.col-action{border-top:4px solid var(--yellow)}
.asserts{list-style:none;padding-left:0}.asserts .fail .mark{color:var(--red);font-weight:700}.asserts .pass .mark{color:var(--green)}
.prints{background:var(--quad);padding:10px;border-radius:6px;overflow-x:auto;white-space:pre-wrap}
.diag li{color:var(--red)}footer{margin-top:20px;font-size:.85rem}
@media (max-width:720px){main{padding:12px 10px}.summary,.swot-grid{grid-template-columns:1fr}.chart-grid{grid-template-columns:1fr}
.board{grid-template-columns:1fr 1fr}.section{padding:12px}h1{font-size:1.5rem}
.table-wrap table{min-width:640px}.swot{grid-template-columns:1fr}.facts{grid-template-columns:1fr}.facts dd{margin-bottom:4px}}
@media (max-width:420px){.board{grid-template-columns:1fr}}
@media print{@page{size:auto;margin:14mm}body{background:#fff;color:#000;font-size:11pt}main{max-width:none;padding:0}
.toc{display:none}.section,.summary{border:0;padding:0;margin:0 0 10mm}
figure,svg.chart,.objective,tr,.card,.score-card{break-inside:avoid;page-break-inside:avoid}
h2,h3{break-after:avoid}.chart-grid{grid-template-columns:1fr 1fr}.table-wrap{overflow:visible}details.items>*{display:block}}
"""
