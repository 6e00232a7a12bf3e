// The scenario explorer (forecast.reports.explorer): reads its data from the page, draws SVG, fetches nothing.
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("explorer-data").textContent);
  const T = {
    nl: {
      title: "Scenarioverkenner opvangbehoefte",
      subtitle: "Kies maatregelen en zie de banden van de behoefte, de kans op een tekort en de kosten per fase",
      lang_button: "English",
      lang_help: "Taal wisselen",
      back: "← Overzicht",
      measures: "Maatregelen",
      bundle_pick: "Pakket kiezen:",
      view: "Weergave",
      fase: "Fase",
      capacity: "Reguliere capaciteit (plaatsen)",
      cap_default: "standaardpad van het model",
      cap_flat: "vast aantal plaatsen:",
      cap_help: "plaatsen vóór maatregelen; een benadering, zie onder de tabel",
      chosen: "Gekozen combinatie",
      no_measures: "geen maatregelen",
      bundle_is: "is het pakket",
      key: "sleutel",
      fan_persons: "Opvangbehoefte (personen) tegen reguliere capaciteit",
      fan_places: "Opvangbehoefte in plaatsen tegen reguliere capaciteit",
      fan_persons_caption: "Blauw: mediaan en 50%-, 80%- en 95%-band van de behoefte in personen; rood: reguliere capaciteit omgerekend naar personen (plaatsen × planningsbezettingsgraad, gemiddeld pad), zodat de behoefte de lijn kruist precies wanneer ze de reguliere plaatsen overschrijdt; geel: de gekozen fase.",
      fan_places_caption: "Dezelfde prognose in plaatsen (personen gedeeld door de planningsbezettingsgraad); rood: reguliere capaciteit in plaatsen (gemiddeld pad); een tekort telt wanneer de behoefte boven die lijn komt.",
      persons: "personen",
      places: "plaatsen",
      cap_line: "capaciteit",
      per_fase: "Per fase",
      table_caption: "Kerncijfers van de gekozen combinatie per fase (zoals in phase_summary.csv)",
      col_fase: "fase",
      col_need: "behoefte (personen, mediaan)",
      col_need_band: "80%-band",
      col_places: "plaatsen (mediaan)",
      col_p: "P(behoefte > capaciteit)",
      col_nood: "noodopvang (persoonsmaanden, verwacht)",
      col_nood_band: "noodopvang 80%-band",
      col_cost: "kosten in de fase (mln euro, verwacht)",
      col_cost_band: "kosten 80%-band (mln euro)",
      no_months: "buiten de prognose",
      approx: "Vast aantal van {cap} plaatsen: de getallen met ≈ zijn benaderd uit de ingebedde maandkwantielen, niet uit de trekkingen. (1) De capaciteit per maand is {cap} plus de plaatsen die de gekozen maatregelen gemiddeld toevoegen (gemiddeld pad van de combinatie min dat zonder maatregelen), niet per trekking. (2) Per maand wordt P(behoefte in plaatsen > capaciteit) lineair geïnterpoleerd tussen de kwantielen 1%, 2,5%, 5%, 10%, 20%, 25%, 30%, …, 90%, 95%, 97,5% en 99%; buiten de 1%- en 99%-kwantielen staat ≥ 0,99 of ≤ 0,01. (3) De kans voor de fase is de hoogste maandkans: een ondergrens van de kans dat het in ten minste één maand misgaat (het model telt elke trekking met één slechte maand). (4) Noodopvang is per maand het verwachte tekort max(behoefte − capaciteit, 0) onder de stuksgewijs lineaire kwantielfunctie (vlak buiten 1% en 99%), opgeteld over de maanden. (5) Kosten = verwachte behoefte × reguliere kosten + verwachte noodopvang × meerkosten noodopvang. Banden zijn hier niet te berekenen (streepje).",
      difference: "Verschil met Geen nieuw beleid",
      diff_caption: "Gekozen combinatie min Geen nieuw beleid, per fase",
      difference_text: "Berekend als het getal van de gekozen combinatie min dat van Geen nieuw beleid in de tabel hierboven. Beide scenario's delen dezelfde toevalsgetallen, dus voor de kans en de verwachte noodopvang en kosten is dit precies het gemiddelde verschil per trekking; bij de behoefte is het het verschil van de medianen, niet de mediaan van het verschil. Geen band: daarvoor zijn de trekkingen nodig.",
      contributions: "Bijdrage van elke maatregel (Shapley-waarde)",
      contrib_caption: "Bijdrage per maatregel in de gekozen fase: gemiddelde [80%-band]",
      contributions_text: "Het verschil dat een maatregel maakt, gemiddeld over alle combinaties van de andere maatregelen (Shapley-gewichten); de bijdragen tellen op tot 'alle maatregelen' min 'geen maatregelen'. Vet: maatregelen in de gekozen combinatie.",
      col_measure: "maatregel",
      col_in: "in combinatie",
      yes: "ja",
      no: "nee",
      c_need: "behoefte (personen)",
      c_nood: "noodopvang (persoonsmaanden)",
      c_cost: "kosten (mln euro)",
      target_title: "Wat is ervoor nodig?",
      target_text: "Stel een doel en zie de combinaties die het halen, goedkoopste eerst (kosten in de fase van het doel; bij gelijke kosten minder maatregelen eerst), en de kleinste sets maatregelen die het halen. Alleen combinaties, geen pakketten; een combinatie haalt het doel als haar getal in de tabel voor die fase eraan voldoet.",
      t_quantity: "Grootheid",
      t_op: "vergelijking",
      t_value: "waarde",
      t_fase: "in fase",
      t_go: "Zoeken",
      q_p: "P(behoefte > capaciteit)",
      q_nood: "noodopvang (persoonsmaanden, verwacht)",
      q_cost: "kosten in de fase (mln euro, verwacht)",
      q_need: "behoefte (personen, mediaan)",
      q_need90: "behoefte (personen, 90%-kwantiel)",
      q_places: "plaatsen (mediaan)",
      q_peak: "piekbehoefte (personen, mediaan)",
      met: "{n} combinaties halen het doel; de goedkoopste {k}:",
      met_one: "1 combinatie haalt het doel:",
      minimal: "Kleinste sets maatregelen die het doel halen ({n}):",
      none: "Geen enkele combinatie haalt het doel. De 5 die er het dichtst bij komen (kleinste relatieve tekort):",
      cost_band: "kosten {mean} mln euro (80%-band {band})",
      need_band: "behoefte {median} personen (80%-band {band})",
      shortfall: "tekort {x}%",
      show: "Toon",
      bad_value: "Geef een getal als waarde.",
      bad_p: "Een kans ligt tussen 0 en 1: schrijf 0.10 voor 10%.",
      fail: "Het model haalde zijn diagnostiek niet: GEBRUIK DEZE CIJFERS NIET.",
      footer: "Gemaakt met forecast · data tot en met {end} · gemaakt op {created} · alles staat in dit bestand, er wordt niets opgehaald",
    },
    en: {
      title: "Reception need scenario explorer",
      subtitle: "Choose measures and see the bands of need, the chance of a shortage and the cost per phase",
      lang_button: "Nederlands",
      lang_help: "Switch language",
      back: "← Overview",
      measures: "Measures",
      bundle_pick: "Pick a bundle:",
      view: "View",
      fase: "Phase",
      capacity: "Regular capacity (places)",
      cap_default: "the model's default path",
      cap_flat: "a flat number of places:",
      cap_help: "places before measures; an approximation, see below the table",
      chosen: "Chosen combination",
      no_measures: "no measures",
      bundle_is: "is the bundle",
      key: "key",
      fan_persons: "Reception need (persons) against regular capacity",
      fan_places: "Reception need in places against regular capacity",
      fan_persons_caption: "Blue: median and 50%, 80% and 95% bands of need in persons; red: regular capacity in persons (places × the planning occupancy rate, mean path), so that need crosses the line exactly when it exceeds the regular places; yellow: the chosen phase.",
      fan_places_caption: "The same forecast in places (persons divided by the planning occupancy rate); red: regular capacity in places (mean path); a shortage counts when need rises above that line.",
      persons: "persons",
      places: "places",
      cap_line: "capacity",
      per_fase: "Per phase",
      table_caption: "Key numbers of the chosen combination per phase (as in phase_summary.csv)",
      col_fase: "phase",
      col_need: "need (persons, median)",
      col_need_band: "80% band",
      col_places: "places (median)",
      col_p: "P(need > capacity)",
      col_nood: "emergency reception (person-months, expected)",
      col_nood_band: "emergency reception 80% band",
      col_cost: "cost in the phase (million euro, expected)",
      col_cost_band: "cost 80% band (million euro)",
      no_months: "outside the forecast",
      approx: "Flat {cap} places: the numbers marked ≈ are approximated from the embedded monthly quantiles, not from the draws. (1) Capacity in each month is {cap} plus the places the chosen measures add on average (the combination's mean path minus the path without measures), not draw by draw. (2) In each month P(need in places > capacity) is interpolated linearly between the quantiles 1%, 2.5%, 5%, 10%, 20%, 25%, 30%, …, 90%, 95%, 97.5% and 99%; beyond the 1% and 99% quantiles it shows ≥ 0.99 or ≤ 0.01. (3) The phase's probability is the highest monthly probability: a lower bound of the chance of a shortage in at least one month (the model counts every draw with one bad month). (4) Emergency reception is, per month, the expected shortfall max(need − capacity, 0) under the piecewise linear quantile function (flat beyond 1% and 99%), summed over the months. (5) Cost = expected need × regular cost + expected emergency reception × its extra cost. Bands cannot be computed here (dash).",
      difference: "Difference from Geen nieuw beleid (no new policy)",
      diff_caption: "Chosen combination minus Geen nieuw beleid, per phase",
      difference_text: "Computed as the chosen combination's number minus that of Geen nieuw beleid in the table above. Both scenarios share the same random numbers, so for the probability and the expected emergency reception and cost this is exactly the mean change per draw; for need it is the difference of the medians, not the median of the change. No band: that needs the draws.",
      contributions: "Each measure's contribution (Shapley value)",
      contrib_caption: "Contribution per measure in the chosen phase: mean [80% band]",
      contributions_text: "The difference a measure makes, averaged over all combinations of the other measures (Shapley weights); the contributions add up to 'all measures' minus 'no measures'. Bold: measures in the chosen combination.",
      col_measure: "measure",
      col_in: "in combination",
      yes: "yes",
      no: "no",
      c_need: "need (persons)",
      c_nood: "emergency reception (person-months)",
      c_cost: "cost (million euro)",
      target_title: "What does it take?",
      target_text: "Set a target and see the combinations that meet it, cheapest first (cost in the target's phase; at equal cost fewer measures first), and the smallest sets of measures that meet it. Combinations only, not bundles; a combination meets the target when its number in the table for that phase does.",
      t_quantity: "Quantity",
      t_op: "comparison",
      t_value: "value",
      t_fase: "in phase",
      t_go: "Search",
      q_p: "P(need > capacity)",
      q_nood: "emergency reception (person-months, expected)",
      q_cost: "cost in the phase (million euro, expected)",
      q_need: "need (persons, median)",
      q_need90: "need (persons, 90% quantile)",
      q_places: "places (median)",
      q_peak: "peak need (persons, median)",
      met: "{n} combinations meet the target; the cheapest {k}:",
      met_one: "1 combination meets the target:",
      minimal: "Smallest sets of measures that meet the target ({n}):",
      none: "No combination meets the target. The 5 closest (smallest relative shortfall):",
      cost_band: "cost {mean} million euro (80% band {band})",
      need_band: "need {median} persons (80% band {band})",
      shortfall: "shortfall {x}%",
      show: "Show",
      bad_value: "Give a number as the value.",
      bad_p: "A probability lies between 0 and 1: write 0.10 for 10%.",
      fail: "The model failed its diagnostics: DO NOT USE THESE NUMBERS.",
      footer: "Made with forecast · data up to {end} · made on {created} · everything is in this file, nothing is fetched",
    },
  };
  const QUANTITIES = [
    ["p_need_exceeds_capacity", "q_p"],
    ["noodopvang_person_months_mean", "q_nood"],
    ["cost_meur_mean", "q_cost"],
    ["need_median", "q_need"],
    ["need_p90", "q_need90"],
    ["places_median", "q_places"],
    ["peak_need_median", "q_peak"],
  ];
  const SHOWN = 10;
  let lang = document.documentElement.lang === "en" ? "en" : "nl";
  const $ = (id) => document.getElementById(id);
  const L = (k) => T[lang][k];
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

  // ---------------------------------------------------------------- numbers, as labels.number writes them
  function fixed(x, d) {
    // |x| with d decimals, rounded half to even on the exact binary value (Python's round)
    const s = x.toFixed(Math.min(100, d + 60));
    const dot = s.indexOf(".");
    const head = d > 0 ? s.slice(0, dot + 1 + d) : s.slice(0, dot);
    const tail = s.slice(dot + 1 + d);
    if (/^50*$/.test(tail)) {
      const last = Number(head[head.length - 1]);
      if (last % 2 === 0) return head;
    }
    return x.toFixed(d);
  }
  function num(x, d, sign) {
    d = d || 0;
    if (x === null || x === undefined || Number.isNaN(x)) return "–";
    let t = fixed(Math.abs(x), d);
    if (/^[0.]*$/.test(t)) x = 0;
    const [int, frac] = t.split(".");
    const sep = lang === "nl" ? "." : ",";
    const dec = lang === "nl" ? "," : ".";
    let out = int.replace(/\B(?=(\d{3})+(?!\d))/g, sep) + (frac !== undefined ? dec + frac : "");
    if (x < 0) out = "-" + out;
    else if (sign && x > 0) out = "+" + out;
    return out;
  }
  const BAND_DASH = "\u00a0–\u00a0";  // as forecast.reports.labels.BAND_DASH: a band stays on one line
  const bandText = (a, b) => (a === null || b === null ? "–" : num(a, 0) + BAND_DASH + num(b, 0));
  const fill = (s, o) => s.replace(/\{(\w+)\}/g, (_, k) => o[k]);

  // ---------------------------------------------------------------- data
  function f32(b64) {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }
  const F = D.fans;
  const Q = F.quantiles, NQ = Q.length, NS = F.scenarios.length, H = D.months.length;
  const NEED = f32(F.need), NEED_MEAN = f32(F.need_mean), CAP = f32(F.capacity);
  const M = D.measures.length;
  const qi = (q) => Q.findIndex((x) => Math.abs(x - q) < 1e-9);
  const fanOf = {};
  F.scenarios.forEach((k, i) => (fanOf[k] = i));
  const rowOf = {};
  D.scenarios.forEach((k, i) => (rowOf[k] = i));
  const comboOf = {};
  D.active.forEach((bits, i) => (comboOf[bits] = D.combinations[i]));
  const col = {};
  D.table.columns.forEach((c, i) => (col[c] = i));
  const none = D.combinations[D.active.indexOf("0".repeat(M))];
  const value = (key, f, c) => D.table.values[rowOf[key]][f][col[c]];
  const needQ = (q, s, t) => NEED[(q * NS + s) * H + t];

  let active = new Array(M).fill(false);
  const start = D.bundles.find((b) => b.id === "kabinetsbeleid") || D.bundles[0];
  if (start) active = D.active[D.combinations.indexOf(start.key)].split("").map((c) => c === "1");
  const bits = () => active.map((a) => (a ? "1" : "0")).join("");
  const current = () => comboOf[bits()];
  const measureNames = (key) => {
    const b = D.active[D.combinations.indexOf(key)];
    const n = D.measures.filter((m, i) => b[i] === "1").map((m) => m[lang]);
    return n.length ? n : [L("no_measures")];
  };
  const faseIdx = () => Number($("fase").value);
  const flatCap = () => {
    if (!$("cap-flat").checked) return null;
    const v = parseFloat($("cap-value").value);
    return Number.isFinite(v) && v >= 0 ? v : null;
  };

  // ---------------------------------------------------------------- capacity typed in: the approximation
  function capacityPath(key, flat) {
    const s = fanOf[key], z = fanOf[none], out = new Float64Array(H);
    for (let t = 0; t < H; t++) {
      const c = CAP[s * H + t];
      out[t] = flat === null ? c : Math.max(flat + c - CAP[z * H + t], 0);
    }
    return out;
  }
  function pAbove(s, t, c) {
    // P(need > c) in month t from the piecewise linear interpolation of the quantiles; [p, clipped]
    const q0 = needQ(0, s, t), q1 = needQ(NQ - 1, s, t);
    if (c < q0) return [1 - Q[0], 1];
    if (c >= q1) return [1 - Q[NQ - 1], -1];
    for (let i = 0; i < NQ - 1; i++) {
      const a = needQ(i, s, t), b = needQ(i + 1, s, t);
      if (c < b) return [1 - (b > a ? Q[i] + ((c - a) / (b - a)) * (Q[i + 1] - Q[i]) : Q[i + 1]), 0];
    }
    return [1 - Q[NQ - 1], -1];
  }
  function shortfall(s, t, c) {
    // E[max(need - c, 0)] under the piecewise linear quantile function, flat beyond the outer quantiles
    let e = Q[0] * Math.max(needQ(0, s, t) - c, 0) + (1 - Q[NQ - 1]) * Math.max(needQ(NQ - 1, s, t) - c, 0);
    for (let i = 0; i < NQ - 1; i++) {
      const a = needQ(i, s, t), b = needQ(i + 1, s, t), w = Q[i + 1] - Q[i];
      if (c <= a) e += w * ((a + b) / 2 - c);
      else if (c < b) e += (w * (b - c) * (b - c)) / (2 * (b - a));
    }
    return e;
  }
  function approximate(key, f, flat) {
    const fase = D.fases[f];
    if (fase.first === null) return null;
    const s = fanOf[key], cap = capacityPath(key, flat);
    let p = 0, clip = 0, nood = 0, need = 0;
    for (let t = fase.first; t <= fase.last; t++) {
      const [pt, ct] = pAbove(s, t, cap[t] * F.rate[t]);  // places > cap  <=>  persons > cap x rate
      if (pt > p || (pt === p && ct > clip)) { p = pt; clip = ct; }
      nood += shortfall(s, t, cap[t]);
      need += NEED_MEAN[s * H + t];
    }
    const cost = (need * F.cost_regular + nood * (F.cost_emergency - F.cost_regular)) / 12 / 1e6;
    return { p: p, clip: clip, nood: nood, cost: cost };
  }
  window.explorerApproximation = (key, f, flat) => approximate(key, f, flat);

  // ---------------------------------------------------------------- what it takes: forecast.scenarios.targets.meeting, in the page
  const OPS = { "<=": (x, v) => x <= v, "<": (x, v) => x < v, ">=": (x, v) => x >= v, ">": (x, v) => x > v };
  const faseNumber = (id) => D.fases.findIndex((f) => f.id === id);
  function holds(key, t) {
    const x = value(key, faseNumber(t.fase), t.quantity);
    return x !== null && OPS[t.op](x, t.value);
  }
  function relShortfall(key, t) {
    const x = value(key, faseNumber(t.fase), t.quantity);
    if (x === null) return Infinity;
    const gap = t.op[0] === "<" ? x - t.value : t.value - x;
    if (gap < 0) return 0;
    return gap / (Math.abs(t.value) || 1);
  }
  function meeting(targets) {
    const f0 = faseNumber(targets[0].fase);
    const count = (k) => D.active[D.combinations.indexOf(k)].split("1").length - 1;
    const order = (a, b) => {
      const ca = value(a, f0, "cost_meur_mean"), cb = value(b, f0, "cost_meur_mean");
      if (ca !== cb) return ca - cb;
      if (count(a) !== count(b)) return count(a) - count(b);
      return a < b ? -1 : a > b ? 1 : 0;
    };
    const met = D.combinations.filter((k) => targets.every((t) => holds(k, t))).sort(order);
    const bitsOf = (k) => D.active[D.combinations.indexOf(k)];
    const subset = (a, b) => a !== b && [...a].every((c, i) => c === "0" || b[i] === "1");
    const minimal = met.filter((k) => !met.some((j) => subset(bitsOf(j), bitsOf(k))));
    let closest = [];
    if (!met.length) {
      const worst = (k) => Math.max(...targets.map((t) => relShortfall(k, t)));
      closest = D.combinations.slice().sort((a, b) => worst(a) - worst(b) || order(a, b)).slice(0, 5);
      closest = closest.map((k) => ({ key: k, shortfall: worst(k) }));
    }
    return { met: met, minimal: minimal, closest: closest };
  }
  window.explorerMeeting = meeting;

  // ---------------------------------------------------------------- SVG fan chart
  function fan(id, key, places, flat) {
    const W = 560, Hh = 300, l = 62, r = 12, tp = 26, b = 34;
    const s = fanOf[key], cap = capacityPath(key, flat);
    const div = (t) => (places ? F.rate[t] : 1);
    // capacity in the chart's unit: places, or persons at the planning occupancy rate (places x rate),
    // so that need crosses the line exactly when it exceeds the regular places
    const capAt = (t) => (places ? cap[t] : cap[t] * F.rate[t]);
    const lo = qi(0.025), hi = qi(0.975);
    let ymax = 0;
    for (let t = 0; t < H; t++) ymax = Math.max(ymax, needQ(hi, s, t) / div(t), capAt(t));
    const step = niceStep(ymax * 1.05);
    ymax = Math.ceil((ymax * 1.05) / step) * step;
    const x = (t) => l + ((W - l - r) * t) / Math.max(H - 1, 1);
    const y = (v) => tp + (Hh - tp - b) * (1 - v / ymax);
    const line = (f) => Array.from({ length: H }, (_, t) => `${x(t).toFixed(1)},${y(f(t)).toFixed(1)}`).join(" ");
    const area = (a, c) => {
      const up = Array.from({ length: H }, (_, t) => `${x(t).toFixed(1)},${y(needQ(c, s, t) / div(t)).toFixed(1)}`);
      const dn = Array.from({ length: H }, (_, t) => `${x(H - 1 - t).toFixed(1)},${y(needQ(a, s, H - 1 - t) / div(H - 1 - t)).toFixed(1)}`);
      return up.concat(dn).join(" ");
    };
    const title = L(places ? "fan_places" : "fan_persons");
    let g = `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${Hh}" width="100%"><title>${esc(title)}</title>`;
    const fz = D.fases[faseIdx()];
    if (fz && fz.first !== null) g += `<rect x="${x(fz.first)}" y="${tp}" width="${Math.max(x(fz.last) - x(fz.first), 2)}" height="${Hh - tp - b}" fill="#fff3c4"/>`;
    for (let v = 0; v <= ymax + 1e-9; v += step) {
      g += `<line x1="${l}" x2="${W - r}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/><text x="${l - 4}" y="${y(v) + 4}" text-anchor="end">${num(v, 0)}</text>`;
    }
    D.months.forEach((m, t) => {
      if (m.endsWith("-01")) g += `<line x1="${x(t)}" x2="${x(t)}" y1="${Hh - b}" y2="${Hh - b + 4}" stroke="#333"/><text x="${x(t)}" y="${Hh - b + 16}" text-anchor="middle">${m.slice(0, 4)}</text>`;
    });
    D.fases.forEach((f) => {
      if (f.first !== null && f.first > 0) g += `<line x1="${x(f.first)}" x2="${x(f.first)}" y1="${tp}" y2="${Hh - b}" stroke="#999" stroke-dasharray="3,3"/>`;
    });
    [[0.025, 0.975, 0.18], [0.1, 0.9, 0.28], [0.25, 0.75, 0.4]].forEach(([a, c, o]) => {
      g += `<polygon points="${area(qi(a), qi(c))}" fill="#1f5fa8" fill-opacity="${o}" stroke="none"/>`;
    });
    const med = qi(0.5);
    g += `<polyline points="${line((t) => needQ(med, s, t) / div(t))}" fill="none" stroke="#16325c" stroke-width="2"/>`;
    g += `<polyline points="${line(capAt)}" fill="none" stroke="#c62828" stroke-width="2"/>`;
    g += `<text x="${l}" y="16" font-weight="600">${esc(title)}</text>`;
    g += `<text x="${W - r}" y="16" text-anchor="end" fill="#c62828">— ${esc(L("cap_line"))}</text>`;
    g += `<text x="12" y="${tp + (Hh - tp - b) / 2}" transform="rotate(-90 12 ${tp + (Hh - tp - b) / 2})" text-anchor="middle">${esc(L(places ? "places" : "persons"))}</text>`;
    $(id).innerHTML = g + "</svg>";
  }
  function niceStep(span) {
    const raw = span / 5, p = Math.pow(10, Math.floor(Math.log10(raw)));
    return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw);
  }

  // ---------------------------------------------------------------- tables
  const td = (cell, text, extra) => `<td data-cell="${cell}"${extra || ""}>${text}</td>`;
  function faseTable(key, flat) {
    let h = `<table><caption>${esc(L("table_caption"))}</caption><thead><tr><th scope="col">${esc(L("col_fase"))}</th>`;
    ["col_need", "col_need_band", "col_places", "col_p", "col_nood", "col_nood_band", "col_cost", "col_cost_band"].forEach((c) => (h += `<th scope="col">${esc(L(c))}</th>`));
    h += "</tr></thead><tbody>";
    D.fases.forEach((f, i) => {
      const v = (c) => value(key, i, c);
      h += `<tr${i === faseIdx() ? ' class="chosen"' : ""}><th scope="row">${esc(f[lang])}</th>`;
      if (f.first === null) return (h += `<td colspan="8">${esc(L("no_months"))}</td></tr>`);
      h += td(`${f.id}:need_median`, num(v("need_median")));
      h += td(`${f.id}:need_band`, bandText(v("need_p10"), v("need_p90")));
      h += td(`${f.id}:places_median`, num(v("places_median")));
      const a = flat === null ? null : approximate(key, i, flat);
      if (a === null) {
        h += td(`${f.id}:p_need_exceeds_capacity`, num(v("p_need_exceeds_capacity"), 2));
        h += td(`${f.id}:noodopvang_person_months_mean`, num(v("noodopvang_person_months_mean")));
        h += td(`${f.id}:noodopvang_band`, bandText(v("noodopvang_p10"), v("noodopvang_p90")));
        h += td(`${f.id}:cost_meur_mean`, num(v("cost_meur_mean")));
        h += td(`${f.id}:cost_band`, bandText(v("cost_meur_p10"), v("cost_meur_p90")));
      } else {
        const p = (a.clip > 0 ? "≥ " : a.clip < 0 ? "≤ " : "≈ ") + num(a.p, 2);
        h += td(`${f.id}:p_need_exceeds_capacity`, p, ' class="approx"');
        h += td(`${f.id}:noodopvang_person_months_mean`, "≈ " + num(a.nood), ' class="approx"');
        h += td(`${f.id}:noodopvang_band`, "–");
        h += td(`${f.id}:cost_meur_mean`, "≈ " + num(a.cost), ' class="approx"');
        h += td(`${f.id}:cost_band`, "–");
      }
      h += "</tr>";
    });
    return h + "</tbody></table>";
  }
  function diffTable(key) {
    const ref = D.bundles.find((b) => b.id === D.reference);
    if (!ref) return "";
    let h = `<table><caption>${esc(L("diff_caption"))}</caption><thead><tr><th scope="col">${esc(L("col_fase"))}</th>`;
    ["col_need", "col_p", "col_nood", "col_cost"].forEach((c) => (h += `<th scope="col">${esc(L(c))}</th>`));
    h += "</tr></thead><tbody>";
    D.fases.forEach((f, i) => {
      if (f.first === null) return;
      const d = (c) => value(key, i, c) - value(ref.id, i, c);
      h += `<tr><th scope="row">${esc(f[lang])}</th>${td(`${f.id}:d_need`, num(d("need_median"), 0, true))}`;
      h += td(`${f.id}:d_p`, num(d("p_need_exceeds_capacity"), 2, true));
      h += td(`${f.id}:d_nood`, num(d("noodopvang_person_months_mean"), 0, true));
      h += td(`${f.id}:d_cost`, num(d("cost_meur_mean"), 0, true)) + "</tr>";
    });
    return h + "</tbody></table>";
  }
  function contribTable(key) {
    const f = faseIdx(), b = D.active[D.combinations.indexOf(key)];
    let h = `<table><caption>${esc(L("contrib_caption"))}</caption><thead><tr><th scope="col">${esc(L("col_measure"))}</th><th scope="col">${esc(L("col_in"))}</th>`;
    ["c_need", "c_nood", "c_cost"].forEach((c) => (h += `<th scope="col">${esc(L(c))}</th>`));
    h += "</tr></thead><tbody>";
    const C = D.contributions;
    D.measures.forEach((m, i) => {
      const cell = (stat) => {
        const [mean, p10, p90] = C[stat][i][f];
        return mean === null ? "–" : `${num(mean, 0, true)} [${num(p10, 0, true)}${BAND_DASH}${num(p90, 0, true)}]`;
      };
      const on = b[i] === "1";
      h += `<tr${on ? ' class="in"' : ""}><th scope="row">${on ? "<b>" : ""}${esc(m[lang])}${on ? "</b>" : ""}</th><td>${esc(L(on ? "yes" : "no"))}</td>`;
      h += `${td(`${m.id}:need`, cell("need_mean"))}${td(`${m.id}:nood`, cell("noodopvang_person_months"))}${td(`${m.id}:cost`, cell("cost_eur"))}</tr>`;
    });
    return h + "</tbody></table>";
  }

  // ---------------------------------------------------------------- the target form
  function describe(key, f) {
    const v = (c) => value(key, f, c);
    return `${esc(measureNames(key).join(" + "))} — ${esc(fill(L("cost_band"), { mean: num(v("cost_meur_mean")), band: bandText(v("cost_meur_p10"), v("cost_meur_p90")) }))}; ${esc(fill(L("need_band"), { median: num(v("need_median")), band: bandText(v("need_p10"), v("need_p90")) }))} <button type="button" data-show="${esc(key)}">${esc(L("show"))}</button>`;
  }
  function search() {
    const v = parseFloat($("t-value").value);
    const box = $("target-answer");
    if (!Number.isFinite(v)) return (box.innerHTML = `<p>${esc(L("bad_value"))}</p>`);
    const t = { quantity: $("t-quantity").value, op: $("t-op").value, value: v, fase: D.fases[Number($("t-fase").value)].id };
    const f = faseNumber(t.fase);
    if (D.fases[f].first === null) return (box.innerHTML = `<p>${esc(L("no_months"))}</p>`);
    if (t.quantity === "p_need_exceeds_capacity" && (v < 0 || v > 1)) return (box.innerHTML = `<p>${esc(L("bad_p"))}</p>`);
    const ans = meeting([t]);
    const qlabel = L(QUANTITIES.find(([q]) => q === t.quantity)[1]);
    const digits = t.quantity === "p_need_exceeds_capacity" ? 2 : 0;
    const li = (k, extra) => `<li data-key="${esc(k)}">${esc(qlabel)}: <b>${num(value(k, f, t.quantity), digits)}</b> · ${describe(k, f)}${extra || ""}</li>`;
    let h = "";
    if (ans.met.length) {
      const k = Math.min(SHOWN, ans.met.length);
      h += `<p id="t-met" data-count="${ans.met.length}">${esc(ans.met.length === 1 ? L("met_one") : fill(L("met"), { n: ans.met.length, k: k }))}</p><ol id="t-met-list">${ans.met.slice(0, k).map((x) => li(x)).join("")}</ol>`;
      h += `<p>${esc(fill(L("minimal"), { n: ans.minimal.length }))}</p><ol id="t-minimal-list">${ans.minimal.map((x) => li(x)).join("")}</ol>`;
    } else {
      h += `<p id="t-none">${esc(L("none"))}</p><ol id="t-closest-list">${ans.closest.map((c) => li(c.key, ` (${esc(fill(L("shortfall"), { x: num(100 * c.shortfall, 1) }))})`)).join("")}</ol>`;
    }
    box.innerHTML = h;
  }

  // ---------------------------------------------------------------- the page
  function setLabels() {
    document.documentElement.lang = lang;
    document.title = L("title");
    document.querySelectorAll("[data-l10n]").forEach((e) => {
      const k = e.getAttribute("data-l10n");
      e.textContent = k === "footer" ? fill(L(k), { end: D.provenance.history_end, created: D.provenance.created.slice(0, 10) }) : L(k);
    });
    $("lang").textContent = L("lang_button");
    $("lang").setAttribute("lang", lang === "nl" ? "en" : "nl");
    D.measures.forEach((m, i) => ($(`m-name-${i}`).textContent = m[lang]));
    D.bundles.forEach((b, i) => ($(`b-${i}`).textContent = b[lang]));
    ["fase", "t-fase"].forEach((id) => D.fases.forEach((f, i) => ($(id).options[i].textContent = f[lang])));
    QUANTITIES.forEach(([, k], i) => ($("t-quantity").options[i].textContent = L(k)));
    $("banner").innerHTML = D.diagnostics_passed === false ? `<p class="banner fail">${esc(L("fail"))}</p>` : "";
  }
  function update() {
    const key = current(), flat = flatCap();
    const bundle = D.bundles.find((b) => b.key === key);
    $("chosen-title").textContent = `${L("chosen")}: ${measureNames(key).join(" + ")}`;
    $("chosen").textContent = `${L("key")}: ${key}` + (bundle ? ` · ${L("bundle_is")} ${bundle[lang]}` : "");
    $("chosen").setAttribute("data-key", key);
    fan("fan-persons", key, false, flat);
    fan("fan-places", key, true, flat);
    $("fase-table").innerHTML = faseTable(key, flat);
    $("approx").textContent = flat === null ? "" : fill(L("approx"), { cap: num(flat) });
    $("diff-table").innerHTML = diffTable(key);
    $("contrib-table").innerHTML = contribTable(key);
  }
  function build() {
    $("measure-list").innerHTML = D.measures
      .map((m, i) => `<label><input type="checkbox" id="m-${i}" data-measure="${esc(m.id)}"> <span id="m-name-${i}"></span></label>`)
      .join("");
    $("bundle-list").innerHTML = D.bundles.map((b, i) => `<button type="button" id="b-${i}" data-bundle="${esc(b.id)}"></button>`).join(" ");
    const opts = D.fases.map((f, i) => `<option value="${i}"></option>`).join("");
    $("fase").innerHTML = opts;
    $("t-fase").innerHTML = opts;
    const last = D.fases.length - 1;
    $("fase").value = String(last);
    $("t-fase").value = String(last);
    $("t-quantity").innerHTML = QUANTITIES.map(([q]) => `<option value="${q}"></option>`).join("");
    const z = fanOf[none];
    $("cap-value").value = String(Math.round(CAP[z * H]));
    D.measures.forEach((m, i) => {
      $(`m-${i}`).checked = active[i];
      $(`m-${i}`).addEventListener("change", (e) => { active[i] = e.target.checked; update(); });
    });
    D.bundles.forEach((b, i) => $(`b-${i}`).addEventListener("click", () => select(b.key)));
    ["fase", "cap-default", "cap-flat", "cap-value"].forEach((id) => $(id).addEventListener("input", update));
    $("cap-value").addEventListener("focus", () => { $("cap-flat").checked = true; });
    $("target").addEventListener("submit", search);
    $("target-answer").addEventListener("click", (e) => { const k = e.target.getAttribute("data-show"); if (k) select(k); });
    $("lang").addEventListener("click", () => { lang = lang === "nl" ? "en" : "nl"; setLabels(); update(); if ($("target-answer").innerHTML) search(); });
  }
  function select(key) {
    active = D.active[D.combinations.indexOf(key)].split("").map((c) => c === "1");
    active.forEach((a, i) => ($(`m-${i}`).checked = a));
    update();
  }
  build();
  setLabels();
  update();
  search();  // the form's default question: P(need > capacity) <= 0.10 in the last fase
})();
