// The download widget on a stand-in website, and every page a respondent sees, in headless
// Chromium (Debian's, driven by playwright-core), each checked with axe-core (WCAG 2.1 A/AA).
//
// Started by tests/browser.rs (`cargo test`), which runs jalon and passes:
//   JALON_URL      jalon's address (http://127.0.0.1:PORT)
//   SITE_PORT      the port to serve examples/website on (an allowed widget origin)
//   TOKEN_FORM     a personal link to a long questionnaire (form, draft and error pages)
//   TOKEN_THANKS   a personal link to the i4 questionnaire (answered: thank-you page)
//   TOKEN_ANONYMOUS a personal link to the anonymous i7 questionnaire (its notice)
//   JALON_API_TOKEN a bearer token for the results API; STAFF_EMAIL, STAFF_PASSWORD an admin account
//   TOKEN_CLOSED   a personal link whose campaign is closed
//   JALON_CHROMIUM the browser (default /usr/bin/chromium)

import assert from "node:assert/strict";
import http from "node:http";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const WEBSITE = path.resolve(here, "../../examples/website");
const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run this test through \`cargo test --test browser\``);
  return value;
};
const JALON = env("JALON_URL");
const SITE_PORT = Number(env("SITE_PORT"));
const SITE = `http://127.0.0.1:${SITE_PORT}`;
const TOKENS = {
  form: env("TOKEN_FORM"),
  thanks: env("TOKEN_THANKS"),
  closed: env("TOKEN_CLOSED"),
  anonymous: env("TOKEN_ANONYMOUS"),
};
const API_TOKEN = env("JALON_API_TOKEN");
const STAFF = { email: env("STAFF_EMAIL"), password: env("STAFF_PASSWORD") };
const CHROMIUM = process.env.JALON_CHROMIUM || "/usr/bin/chromium";
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

setTimeout(() => {
  console.error("browser test: timed out after 180 s");
  process.exit(1);
}, 180_000).unref();

const failures = [];
const consoleErrors = [];

// Whether focus comes back to `link` within two seconds. The widget gives it back in the
// dialog's `close` event, a task after the dialog is hidden: waiting for it, not racing it.
async function focusReturnsTo(link) {
  return link.evaluate((a) => new Promise((resolve) => {
    const started = Date.now();
    (function poll() {
      if (document.activeElement === a) return resolve(true);
      if (Date.now() - started > 2000) return resolve(false);
      setTimeout(poll, 20);
    })();
  }));
}

function check(condition, what) {
  if (condition) {
    console.log(`ok   ${what}`);
  } else {
    console.error(`FAIL ${what}`);
    failures.push(what);
  }
}

// --- The stand-in website, on another origin than jalon ----------------------------------
const types = { ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".txt": "text/plain; charset=utf-8" };
const site = http.createServer(async (req, res) => {
  let relative = decodeURIComponent(new URL(req.url, SITE).pathname);
  if (relative.endsWith("/")) relative += "index.html";
  const file = path.join(WEBSITE, path.normalize(relative));
  try {
    assert.ok(file.startsWith(WEBSITE + path.sep));
    let body = await readFile(file);
    if (file.endsWith(".html")) body = body.toString("utf8").replaceAll("http://127.0.0.1:8080", JALON);
    res.writeHead(200, { "Content-Type": types[path.extname(file)] || "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("introuvable");
  }
});
await new Promise((resolve, reject) => site.listen(SITE_PORT, "127.0.0.1", resolve).on("error", reject));

const axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
async function audit(page, label) {
  // Evaluated, not added as a <script>: jalon's pages allow no inline script (CSP).
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
    await page.evaluate(axeSource);
  }
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

function watch(page, label, expected = []) {
  page.on("console", (message) => {
    if (message.type() === "error" && !expected.some((re) => re.test(message.text()))) {
      consoleErrors.push(`${label}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => consoleErrors.push(`${label}: ${error.message}`));
}

async function api(pathAndQuery) {
  const response = await fetch(JALON + pathAndQuery, { headers: { Authorization: `Bearer ${API_TOKEN}` } });
  assert.equal(response.status, 200, pathAndQuery);
  return response.json();
}

/** Polls the results until `ready(results)`; download counts reach the database within a second. */
async function resultsWhen(ready) {
  for (let i = 0; i < 100; i++) {
    const results = await api("/api/v1/widget/resources");
    if (ready(results)) return results;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return api("/api/v1/widget/resources");
}
const find = (results, id) => results.results.resources.find((r) => r.resource === id);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const context = await browser.newContext({ acceptDownloads: true, locale: "fr-FR" });

  // --- The widget on the website ----------------------------------------------------------
  const page = await context.newPage();
  watch(page, "website");
  await page.goto(SITE + "/");
  await audit(page, "the website's page");

  const guide = page.locator('a[data-anact-resource="guide-tms"]');
  const [download] = await Promise.all([page.waitForEvent("download"), guide.click()]);
  check(download.suggestedFilename() === "guide-tms.txt", "the download starts at once, untouched");
  const dialog = page.getByRole("dialog", { name: "Votre avis sur ce téléchargement" });
  await dialog.waitFor({ state: "visible" });
  check(await dialog.evaluate((d) => d.matches(":modal")), "the question opens as a labelled modal dialog");
  check(await page.evaluate(() => !!document.activeElement?.closest("dialog")), "focus moves into the dialog");
  check((await dialog.textContent()).includes("« Guide : prévenir les TMS »"), "the dialog names the resource");
  await audit(page, "the widget's dialog");

  await dialog.getByRole("button", { name: "Envoyer" }).click();
  const error = dialog.getByText("Choisissez une réponse pour envoyer votre avis.");
  await error.waitFor({ state: "visible" });
  check(await page.evaluate(() => document.activeElement?.type === "radio"), "an empty answer says why and focuses the choices");
  await audit(page, "the widget's dialog with its error");

  await dialog.getByLabel("Plutôt satisfait·e").check();
  await dialog.getByLabel(/Un commentaire/).fill("Très clair, merci.");
  await dialog.getByRole("button", { name: "Envoyer" }).click();
  await dialog.getByText("Merci pour votre avis").waitFor({ state: "visible" });
  await audit(page, "the widget's thanks");
  await dialog.getByRole("button", { name: "Fermer" }).click();
  await dialog.waitFor({ state: "hidden" });
  check(await focusReturnsTo(guide), "closing gives focus back to the link");

  await Promise.all([page.waitForEvent("download"), guide.click()]);
  await page.waitForTimeout(400);
  check(!(await dialog.isVisible()), "the same resource is not asked twice in a session");

  const fiche = page.locator('a[data-anact-resource="fiche-rps"]');
  await Promise.all([page.waitForEvent("download"), fiche.click()]);
  await dialog.waitFor({ state: "visible" });
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  check(await focusReturnsTo(fiche), "Escape closes the dialog and focus returns to the link");

  const rapport = page.locator('a[data-anact-resource="rapport-qvct"]');
  await rapport.focus();
  const [byKeyboard] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
  check(byKeyboard.suggestedFilename() === "rapport-qvct.txt", "Enter downloads the focused link");
  check(await page.evaluate(() => document.activeElement?.dataset?.anactResource === "rapport-qvct"
    || !!document.activeElement?.closest("dialog")), "the closed dialog does not take the focus back");
  await dialog.waitFor({ state: "visible" });
  await dialog.getByRole("button", { name: "Non merci" }).click();
  await dialog.waitFor({ state: "hidden" });
  check(await focusReturnsTo(rapport), "keyboard: Enter downloads and asks; « Non merci » closes");

  let results = await resultsWhen((r) =>
    find(r, "guide-tms")?.participation.downloads === 2 &&
    find(r, "fiche-rps")?.participation.downloads === 1 &&
    find(r, "rapport-qvct")?.participation.downloads === 1);
  const counted = find(results, "guide-tms");
  check(counted?.participation.downloads === 2, "both downloads of the guide are counted");
  check(counted?.satisfaction.total === 1 && counted?.satisfaction.favorable === 1, "the rating is counted as satisfied");
  check(counted?.participation.rate === 0.5, "participation = ratings / downloads");
  check(counted?.title === "Guide : prévenir les TMS" && counted?.theme === "Santé au travail", "title and theme come from the link");
  check(find(results, "fiche-rps")?.participation.downloads === 1 && find(results, "fiche-rps")?.satisfaction.total === 0,
    "a dismissed question counts the download only");
  const theme = results.results.themes.find((t) => t.theme === "Santé au travail");
  check(theme?.participation.downloads === 3 && theme?.resources === 2, "downloads add up per theme");
  const comments = await api("/api/v1/widget/comments");
  check(comments.comments.some((c) => c.text === "Très clair, merci." && c.resource === "guide-tms"), "the comment is listed for staff");

  // The dialog's `close` event comes a task after it closes: a visitor who has moved to another
  // link by then keeps the focus there (a new tab: its own session, so the question is asked).
  const second = await context.newPage();
  watch(second, "website, second tab");
  await second.goto(SITE + "/");
  await Promise.all([second.waitForEvent("download"), second.locator('a[data-anact-resource="fiche-rps"]').click()]);
  await second.getByRole("dialog").waitFor({ state: "visible" });
  const kept = await second.evaluate(() => new Promise((resolve) => {
    const other = document.querySelector('a[data-anact-resource="guide-tms"]');
    document.querySelector("dialog").close();
    other.focus();
    setTimeout(() => resolve(document.activeElement === other), 100);
  }));
  check(kept, "a closing dialog leaves the focus where the visitor moved it");
  await second.close();

  // --- Without script: the form framed by the website, and only by it ----------------------
  const framed = await context.newPage();
  watch(framed, "website/avis.html");
  await framed.goto(SITE + "/avis.html");
  const frame = framed.frameLocator("iframe");
  await frame.getByRole("heading", { level: 1 }).waitFor();
  await frame.getByLabel("Très satisfait·e").check();
  await frame.getByRole("button", { name: "Envoyer mes réponses" }).click();
  await frame.getByRole("heading", { name: "Merci pour votre participation" }).waitFor();
  results = await resultsWhen((r) => find(r, "rapport-qvct")?.satisfaction.total === 1);
  check(find(results, "rapport-qvct")?.satisfaction.total === 1, "the framed form rates its resource");

  const foreign = await context.newPage();
  watch(foreign, "foreign origin", [/frame-ancestors|Refused to frame|refused to connect/i]);
  await foreign.goto(`http://localhost:${SITE_PORT}/avis.html`);
  await foreign.waitForTimeout(500);
  const foreignFrame = foreign.frames().find((f) => f !== foreign.mainFrame());
  // Blocked, the frame shows the browser's error page instead of jalon's form.
  const foreignForms = foreignFrame ? await foreignFrame.locator('form[action="/o/i4"]').count().catch(() => 0) : 0;
  check(foreignFrame && !foreignFrame.url().startsWith(JALON) && foreignForms === 0,
    "another origin cannot frame the form (frame-ancestors)");

  // --- Every page a respondent sees ---------------------------------------------------------
  const respondent = await context.newPage();
  watch(respondent, "jalon", [/status of (404|410|422)/]);
  let response = await respondent.goto(`${JALON}/r/${TOKENS.form}`);
  check(response.status() === 200, "a personal link shows its questionnaire");
  await audit(respondent, "the questionnaire (/r/{token})");

  [response] = await Promise.all([
    respondent.waitForResponse((r) => r.request().method() === "POST"),
    respondent.getByRole("button", { name: "Enregistrer le brouillon" }).click(),
  ]);
  await respondent.waitForLoadState();
  await respondent.getByText("Votre brouillon est enregistré").waitFor();
  await audit(respondent, "the questionnaire with its draft notice");

  [response] = await Promise.all([
    respondent.waitForResponse((r) => r.request().method() === "POST"),
    respondent.getByRole("button", { name: "Envoyer mes réponses" }).click(),
  ]);
  await respondent.waitForLoadState();
  check(response.status() === 422, "an empty submission is refused (422)");
  check(await respondent.locator(".error-summary").isVisible(), "the errors are summed up at the top");
  await audit(respondent, "the questionnaire with its errors");

  await respondent.goto(`${JALON}/r/${TOKENS.thanks}`);
  await respondent.getByLabel("Plutôt satisfait·e").check();
  await Promise.all([
    respondent.waitForURL(/\/merci$/),
    respondent.getByRole("button", { name: "Envoyer mes réponses" }).click(),
  ]);
  await audit(respondent, "the thank-you page");
  response = await respondent.goto(`${JALON}/r/${TOKENS.thanks}`);
  await audit(respondent, "an answered link");

  response = await respondent.goto(`${JALON}/r/${TOKENS.anonymous}`);
  check((await respondent.getByRole("note").textContent()).includes("Questionnaire anonyme"),
    "an anonymous questionnaire says so at the top");
  await audit(respondent, "an anonymous questionnaire");
  await respondent.getByRole("link", { name: "Comment votre anonymat est garanti" }).click();
  await respondent.getByRole("heading", { name: "Ce qui n’est pas conservé" }).waitFor();
  await audit(respondent, "the anonymity notice (/confidentialite/i7)");

  response = await respondent.goto(`${JALON}/r/${TOKENS.closed}`);
  check(response.status() === 410, "a closed link says so (410)");
  await audit(respondent, "a closed link");

  response = await respondent.goto(`${JALON}/r/lien-inconnu`);
  check(response.status() === 404, "an unknown link says so (404)");
  await audit(respondent, "an unknown link");

  response = await respondent.goto(`${JALON}/o/i4?resource=guide-tms`);
  check(response.status() === 200, "the open questionnaire shows");
  await audit(respondent, "the open questionnaire (/o/i4)");
  [response] = await Promise.all([
    respondent.waitForResponse((r) => r.request().method() === "POST"),
    respondent.getByRole("button", { name: "Envoyer mes réponses" }).click(),
  ]);
  await respondent.waitForLoadState();
  check(response.status() === 422, "the open questionnaire refuses an empty answer (422)");
  await audit(respondent, "the open questionnaire with its error");

  // --- Staff: sign in, then the dashboard and the administration pages ----------------------
  const staff = await context.newPage();
  watch(staff, "staff", [/status of 422/]);
  response = await staff.goto(`${JALON}/tableau-de-bord`);
  check(new URL(staff.url()).pathname === "/connexion", "a staff page sends to the sign-in page");
  await audit(staff, "the sign-in page");
  check(
    (await staff.getByRole("link", { name: /S’identifier avec ProConnect/ }).getAttribute("href")) === "/connexion/oidc?retour=%2Ftableau-de-bord",
    "the sign-in page offers ProConnect, back to the page asked for",
  );
  await staff.getByLabel("Adresse électronique").fill(STAFF.email);
  await staff.getByLabel("Mot de passe").fill("pas le bon mot de passe");
  await staff.getByRole("button", { name: "Se connecter" }).click();
  await staff.getByText("Adresse ou mot de passe incorrect.").waitFor();
  await audit(staff, "the sign-in page with its error");
  await staff.getByLabel("Mot de passe").fill(STAFF.password);
  await Promise.all([
    staff.waitForURL(/\/tableau-de-bord$/),
    staff.getByRole("button", { name: "Se connecter" }).click(),
  ]);
  check(true, "signing in leads back to the page asked for");
  await audit(staff, "the dashboard");
  for (const [path, label] of [
    ["/tableau-de-bord/ressources", "the downloads page (indicator 4)"],
    ["/admin", "the administration page"],
    ["/admin/enregistrements", "the registration forms"],
    ["/admin/imports", "the imports page"],
    ["/admin/campagnes", "the campaigns page"],
    ["/admin/contacts?email=personne%40example.org", "the contacts page"],
    ["/admin/questionnaires/i3.1/apercu", "a questionnaire preview"],
    ["/admin/questionnaires/i3.1/email", "an email preview"],
    ["/admin/journal", "the audit log"],
    ["/admin/comptes", "the accounts page"],
    ["/connexion", "the session page"],
  ]) {
    response = await staff.goto(JALON + path);
    check(response.status() === 200, `${label} shows (${path})`);
    await audit(staff, label);
  }

  // --- Editing a questionnaire: a plain form (no script), errors at their lines, a draft, its
  // preview, its pilot, its publication ------------------------------------------------------
  response = await staff.goto(`${JALON}/admin/questionnaires/i4/edition`);
  check(response.status() === 200, "the editing page shows");
  await audit(staff, "the editing page");
  const definition = staff.getByLabel(/Définition du questionnaire/);
  const original = await definition.inputValue();
  check(original.includes('code = "i4"'), "the textarea holds the definition in use");
  await definition.fill(original.replace('type = "likert"', 'type = "echelle"'));
  [response] = await Promise.all([
    staff.waitForResponse((r) => r.request().method() === "POST"),
    staff.getByRole("button", { name: "Enregistrer le brouillon" }).click(),
  ]);
  await staff.waitForLoadState();
  check(response.status() === 422, "a definition with an error is refused (422)");
  const line = original.split("\n").indexOf('type = "likert"') + 1;
  check(
    (await staff.locator(".error-summary").textContent()).includes(`Ligne ${line}, colonne 8`),
    "the error summary names the error's line and column",
  );
  check(
    (await definition.getAttribute("aria-describedby")).includes("definition-erreurs"),
    "the textarea is described by its errors",
  );
  await audit(staff, "the editing page with its errors");
  await definition.fill(original.replace("Vous êtes :", "Vous êtes, en un mot :"));
  await Promise.all([
    staff.waitForURL(/etat=enregistre$/),
    staff.getByRole("button", { name: "Enregistrer le brouillon" }).click(),
  ]);
  check(
    (await staff.getByRole("listitem").filter({ hasText: "question « profil » reformulée" }).count()) === 1,
    "the saved draft lists its change against the published version",
  );
  await audit(staff, "the editing page of a saved draft");
  // The emails, in their own textarea: an error at its line, then a change saved and previewed.
  const messages = staff.getByLabel(/Messages d’invitation et de relance/);
  const texts = await messages.inputValue();
  check(texts.includes("reminder_subject"), "the second textarea holds the emails in use");
  await messages.fill(texts.replace("{duree} minutes", "{delai} minutes"));
  [response] = await Promise.all([
    staff.waitForResponse((r) => r.request().method() === "POST"),
    staff.getByRole("button", { name: "Enregistrer le brouillon" }).click(),
  ]);
  await staff.waitForLoadState();
  check(response.status() === 422, "emails with an error are refused (422)");
  check(
    /Ligne \d+, colonne \d+ des messages : body : variable inconnue \{delai\}/.test(
      await staff.locator(".error-summary").textContent(),
    ),
    "the error summary names the emails' error at its line and column",
  );
  check(
    (await messages.getAttribute("aria-describedby")).includes("messages-erreurs"),
    "the emails' textarea is described by its errors",
  );
  await audit(staff, "the editing page with an error in the emails");
  await messages.fill(texts.replace('subject = "{titre}"', 'subject = "Votre avis : {titre}"'));
  await Promise.all([
    staff.waitForURL(/etat=enregistre$/),
    staff.getByRole("button", { name: "Enregistrer le brouillon" }).click(),
  ]);
  check(
    (await staff.getByRole("listitem").filter({ hasText: "objet de l’invitation" }).count()) === 1,
    "the saved draft lists its emails' change",
  );
  response = await staff.goto(`${JALON}/admin/questionnaires/i4/edition/email`);
  check(response.status() === 200 && (await staff.content()).includes("Votre avis : "), "the draft's invitation is previewed");
  await audit(staff, "the draft's invitation");
  response = await staff.goto(`${JALON}/admin/questionnaires/i4/edition/apercu`);
  check(response.status() === 200 && (await staff.content()).includes("Vous êtes, en un mot :"), "the draft is previewed with the respondents' form");
  await audit(staff, "the draft's preview");
  await staff.goto(`${JALON}/admin/questionnaires/i4/pilote`);
  await audit(staff, "the pilot page");
  [response] = await Promise.all([
    staff.waitForResponse((r) => r.request().method() === "POST"),
    staff.getByRole("button", { name: "Créer les liens" }).click(),
  ]);
  await staff.waitForLoadState();
  check(response.status() === 200, "pilot links are made");
  const pilotLink = await staff.locator("ul.links code").first().textContent();
  check(pilotLink.includes("/pilote/"), "the pilot links are shown once");
  await audit(staff, "the pilot page with its new links");
  const panel = await context.newPage();
  watch(panel, "panel", [/status of 422/]);
  response = await panel.goto(pilotLink);
  check(response.status() === 200, "a pilot link shows the draft");
  await audit(panel, "a pilot form");
  await panel.close();
  await staff.goto(`${JALON}/admin/questionnaires/i4/edition`);
  await Promise.all([
    staff.waitForURL(/etat=publie$/),
    staff.getByRole("button", { name: "Publier le brouillon" }).click(),
  ]);
  check(true, "the draft is published from its page");
  response = await staff.goto(`${JALON}/o/i4`);
  check((await staff.content()).includes("Vous êtes, en un mot :"), "the published version is the one respondents get");
  await staff.goto(`${JALON}/connexion`);
  await Promise.all([
    staff.waitForURL(/\/connexion$/),
    staff.getByRole("button", { name: "Se déconnecter" }).click(),
  ]);
  response = await staff.goto(`${JALON}/admin`);
  check(new URL(staff.url()).pathname === "/connexion", "signed out, the administration is closed");

  check(consoleErrors.length === 0, `no console error${consoleErrors.length ? ": " + consoleErrors.join(" | ") : ""}`);
} finally {
  await browser.close();
  site.close();
}

if (failures.length) {
  console.error(`\n${failures.length} check(s) failed:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log("\nbrowser test: all checks passed");
