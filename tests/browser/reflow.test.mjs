// The front door, and the staff pages at 320 CSS pixels wide (RGAA 10.11 / WCAG 1.4.10:
// nothing scrolls sideways but data tables, inside their own regions), on jalon's demo data,
// in headless Chromium (Debian's, driven by playwright-core), checked with axe-core.
//
// Started by tests/browser.rs (`cargo test`), which runs `jalon serve --demo` and passes:
//   JALON_URL      jalon's address (http://127.0.0.1:PORT)
//   STAFF_EMAIL, STAFF_PASSWORD an admin account
//   JALON_CHROMIUM the browser (default /usr/bin/chromium)

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run this test through \`cargo test --test browser\``);
  return value;
};
const JALON = env("JALON_URL");
const STAFF = { email: env("STAFF_EMAIL"), password: env("STAFF_PASSWORD") };
const CHROMIUM = process.env.JALON_CHROMIUM || "/usr/bin/chromium";
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const NARROW = 320;

setTimeout(() => {
  console.error("reflow test: timed out after 240 s");
  process.exit(1);
}, 240_000).unref();

const failures = [];
function check(condition, what) {
  if (condition) {
    console.log(`ok   ${what}`);
  } else {
    console.error(`FAIL ${what}`);
    failures.push(what);
  }
}

const axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
async function audit(page, label) {
  // Evaluated, not added as a <script>: jalon's pages allow no inline script (CSP).
  await page.evaluate(axeSource);
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
    AXE_TAGS,
  );
  for (const v of result.violations) {
    console.error(`  axe ${v.id} (${v.impact}): ${v.help}`);
    for (const node of v.nodes) console.error(`    ${node.target.join(" ")}: ${node.failureSummary}`);
  }
  check(result.violations.length === 0, `axe: no WCAG 2.1 A/AA violation on ${label}`);
}

/** The page's width, and what sticks out past the viewport (tables' regions and hidden texts aside). */
async function reflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const outside = [...document.querySelectorAll("body *")]
      .filter((e) => !e.closest(".table-scroll, .visually-hidden"))
      .filter((e) => e.getBoundingClientRect().right > width + 0.5)
      .slice(0, 5)
      .map((e) => `<${e.tagName.toLowerCase()}> ${(e.textContent || "").trim().slice(0, 40)}`);
    return { scrollWidth: document.documentElement.scrollWidth, outside };
  });
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const context = await browser.newContext({ locale: "fr-FR", viewport: { width: NARROW, height: 800 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(e.message));

  // --- The front door, for whoever lands on the bare address ------------------------------
  let response = await page.goto(`${JALON}/`);
  check(response.status() === 200, "the front door answers (200)");
  check((await page.getByRole("heading", { level: 1 }).count()) === 1, "the front door has one h1");
  const signInLink = page.getByRole("link", { name: "Se connecter à l’espace des équipes" });
  check((await signInLink.getAttribute("href")) === "/connexion", "the front door links to the sign-in page");
  let measured = await reflow(page);
  check(measured.scrollWidth <= NARROW, `the front door fits ${NARROW} px (scrollWidth ${measured.scrollWidth})`);
  await audit(page, "the front door (/)");

  // --- The API's description for people (public) ------------------------------------------
  response = await page.goto(`${JALON}/api`);
  check(response.status() === 200, "the API's description answers (200, /api)");
  check((await page.getByRole("heading", { level: 1 }).count()) === 1, "the API's description has one h1");
  measured = await reflow(page);
  check(
    measured.scrollWidth <= NARROW && measured.outside.length === 0,
    `the API's description does not scroll sideways at ${NARROW} px (scrollWidth ${measured.scrollWidth}${measured.outside.length ? "; past the edge: " + measured.outside.join(" | ") : ""})`,
  );
  const apiTables = await page.evaluate(() => ({
    regions: [...document.querySelectorAll(".table-scroll")].filter((r) => r.tabIndex === 0 && r.getAttribute("aria-label")).length,
    tables: document.querySelectorAll("table").length,
  }));
  check(apiTables.tables > 0 && apiTables.regions === apiTables.tables,
    `the API's description: its tables scroll inside named, focusable regions (${apiTables.regions}/${apiTables.tables})`);
  await audit(page, `the API's description at ${NARROW} px`);
  await page.goto(`${JALON}/`);

  // --- Signed in: the front door leads to the dashboard -----------------------------------
  await signInLink.click();
  await page.getByLabel("Adresse électronique").fill(STAFF.email);
  await page.getByLabel("Mot de passe").fill(STAFF.password);
  await Promise.all([
    page.waitForURL(/\/tableau-de-bord$/),
    page.getByRole("button", { name: "Se connecter" }).click(),
  ]);
  await page.goto(`${JALON}/`);
  check(new URL(page.url()).pathname === "/tableau-de-bord", "signed in, the front door leads to the dashboard");

  for (const [path, label] of [
    ["/tableau-de-bord", "the dashboard"],
    ["/tableau-de-bord/ressources", "the downloads page"],
  ]) {
    response = await page.goto(JALON + path);
    check(response.status() === 200, `${label} shows (${path})`);
    measured = await reflow(page);
    check(
      measured.scrollWidth <= NARROW && measured.outside.length === 0,
      `${label} does not scroll sideways at ${NARROW} px (scrollWidth ${measured.scrollWidth}${measured.outside.length ? "; past the edge: " + measured.outside.join(" | ") : ""})`,
    );
    const regions = await page.locator(".table-scroll").evaluateAll((all) => all.map((region) => ({
      focusable: region.tabIndex === 0,
      named: !!document.getElementById(region.getAttribute("aria-labelledby") || "")?.textContent.trim(),
      table: !!region.querySelector("table"),
    })));
    check(regions.length > 0 && regions.every((r) => r.focusable && r.named && r.table),
      `${label}: its data tables scroll inside named, focusable regions (${regions.length})`);
    await audit(page, `${label} at ${NARROW} px`);
  }

  // --- Every other staff page reachable from the dashboard and the administration ------------
  // Followed link by link (fiches, campaign pages, entity pages, administration, previews of
  // emails), not listed here: a new page is checked the day it is linked.
  // Exports are files, but for the codebook, a page.
  const staffArea = (path) =>
    /^\/(tableau-de-bord|admin)(\/|$|\?)/.test(path) || /^\/exports\/.*\/codebook$/.test(path);
  // One page of each kind: the same path with other values of the same parameters (another
  // year, say) is the same page.
  const kind = (link) => {
    const url = new URL(link, JALON);
    return url.pathname + "?" + [...url.searchParams.keys()].sort().join("&");
  };
  const seen = new Set();
  const queue = ["/tableau-de-bord", "/admin"];
  const wide = [];
  const unnamedRegions = [];
  const broken = [];
  while (queue.length > 0 && seen.size < 120) {
    const path = queue.shift();
    if (seen.has(kind(path))) continue;
    seen.add(kind(path));
    response = await page.goto(JALON + path);
    if (response.status() !== 200) broken.push(`${path} (${response.status()})`);
    if (!(response.headers()["content-type"] || "").startsWith("text/html")) continue;
    const found = await page.evaluate(() => ({
      links: [...document.querySelectorAll("a[href^='/']")].map((a) => a.getAttribute("href").split("#")[0]),
      unnamed: [...document.querySelectorAll(".table-scroll")].filter((region) =>
        region.tabIndex !== 0 || !(region.getAttribute("aria-label") ||
          document.getElementById(region.getAttribute("aria-labelledby") || "")?.textContent.trim())).length,
      bare: [...document.querySelectorAll("table")].filter((t) => !t.closest(".table-scroll, .visually-hidden")).length,
    }));
    measured = await reflow(page);
    if (measured.scrollWidth > NARROW || measured.outside.length > 0) {
      wide.push(`${path} (${measured.scrollWidth} px; ${measured.outside.join(" | ")})`);
    }
    if (found.unnamed > 0 || found.bare > 0) unnamedRegions.push(`${path} (${found.unnamed} unnamed, ${found.bare} bare tables)`);
    for (const link of found.links) {
      if (staffArea(link) && !link.includes("deconnexion") && !seen.has(kind(link))) queue.push(link);
    }
  }
  check(broken.length === 0, `every link between staff pages leads to a page${broken.length ? ": " + broken.join(", ") : ""}`);
  check(seen.size >= 25, `the staff pages were followed from the dashboard and the administration (${seen.size})`);
  check(wide.length === 0, `no staff page scrolls sideways at ${NARROW} px${wide.length ? ": " + wide.join(", ") : ""}`);
  check(unnamedRegions.length === 0, `every data table of the staff pages scrolls inside a named, focusable region${unnamedRegions.length ? ": " + unnamedRegions.join(", ") : ""}`);

  // --- The trend charts: every label inside its drawing -------------------------------------
  // Measured by the browser (user units of each chart's viewBox): the first label of 6 and 7,
  // "Démonstration (vague précédente)", was cut on the left.
  await page.goto(`${JALON}/tableau-de-bord`);
  const charts = await page.locator("figure.trend svg").evaluateAll((svgs) => svgs.map((svg) => {
    const box = svg.viewBox.baseVal;
    const texts = [...svg.querySelectorAll("text")].map((t) => {
      const b = t.getBBox();
      return { text: [...t.querySelectorAll("tspan")].map((s) => s.textContent).join(" ") || t.textContent, left: b.x, right: b.x + b.width };
    });
    return { texts, outside: texts.filter((t) => t.left < 0 || t.right > box.width) };
  }));
  check(charts.length >= 5, `the dashboard draws a trend chart per indicator (${charts.length})`);
  const cut = charts.flatMap((c) => c.outside).map((t) => `${t.text} (${t.left.toFixed(1)} to ${t.right.toFixed(1)})`);
  check(cut.length === 0, `the trend charts' labels stay inside their drawings${cut.length ? ": " + cut.join(", ") : ""}`);
  const waveLabels = charts.flatMap((c) => c.texts).filter((t) => t.text.includes("(vague précédente)"));
  check(waveLabels.length >= 2, `the previous waves of 6 and 7 are labelled in full (${waveLabels.length})`);

  check(consoleErrors.length === 0, `no console error${consoleErrors.length ? ": " + consoleErrors.join(" | ") : ""}`);
} finally {
  await browser.close();
}

if (failures.length) {
  console.error(`\n${failures.length} check(s) failed:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log("\nreflow test: all checks passed");
