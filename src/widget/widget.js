/* jalon: download widget of indicator 4 (Anact). No dependency, no cookie.
   Include once: <script src="https://JALON/widget.js" defer></script>
   Mark links: <a href="…" download data-anact-resource="ID" data-anact-title="…">
   The download is never delayed: it is counted by a beacon, then a dialog asks one question
   (at most once per resource and browser session). */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.fetch) return;
  var base = new URL(me.src).origin + "/api/v1/public/";
  // Filled by the server from questionnaires/i4.toml; null: count downloads only.
  var C = /*CONFIG*/null;
  var P = "jalon-avis";
  var shown = {};
  var dlg, opener, form, merci, err, box, btn, status, current;

  function post(path, data, beacon) {
    var body = JSON.stringify(data);
    try {
      if (beacon && navigator.sendBeacon(base + path, body)) return;
    } catch (e) { /* no beacon: fetch */ }
    // A string body is sent as text/plain;charset=UTF-8: a simple request, no preflight.
    return fetch(base + path, { method: "POST", body: body, keepalive: true, credentials: "omit" });
  }

  // Marks the resource as asked in this browser session; true if it already was.
  function seen(id) {
    try {
      if (sessionStorage.getItem(P + id)) return true;
      sessionStorage.setItem(P + id, 1);
    } catch (e) {
      if (shown[id]) return true;
    }
    shown[id] = 1;
  }

  function el(tag, attrs, kids) {
    var e = document.createElement(tag), k;
    for (k in attrs) e.setAttribute(k, attrs[k]);
    e.append.apply(e, kids || []);
    return e;
  }

  var CSS = ("&{max-width:34rem;border:1px solid #666;border-radius:4px;padding:1.25rem;color:#161616;" +
    "background:#fff;font:1rem/1.5 system-ui,sans-serif}&::backdrop{background:#0008}& h2{font-size:1.25rem;margin:0}" +
    "& fieldset{border:0;padding:0;margin:1rem 0}& legend{font-weight:700;padding:0}& p,& .o{margin:.25rem 0}" +
    "& .h{color:#3a3a3a;font-size:.875rem}& textarea{width:95%;font:inherit}& .e{color:#ce0500;font-weight:700}" +
    "& button{font:inherit;padding:.5rem 1rem;margin:.75rem .5rem 0 0;border:1px solid #000091;border-radius:4px;" +
    "background:#fff;color:#000091}& .s{background:#000091;color:#fff}& :focus-visible{outline:3px solid #0a76f6}"
  ).replace(/&/g, "." + P);

  function build() {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat(sheet);
    } catch (e) {
      document.head.append(el("style", {}, [CSS]));
    }
    var q = C.q, c = C.c, kids = [
      box = el("fieldset", { "aria-describedby": P + "-e" }, [
        el("legend", {}, [q.text + " (obligatoire)"]),
        err = el("p", { id: P + "-e", class: "e" })
      ].concat(q.options.map(function (o, i) {
        return el("div", { class: "o" }, [
          el("input", { type: "radio", id: P + i, name: q.name, value: o[0] }), " ",
          el("label", { for: P + i }, [o[1]])
        ]);
      })))
    ];
    if (c) kids.push(
      el("label", { for: P + "-c" }, [c.text + " (facultatif)"]),
      el("p", { id: P + "-h", class: "h" }, [(c.help ? c.help + " " : "") + c.max + " caractères au maximum."]),
      el("textarea", { id: P + "-c", name: c.name, rows: 3, maxlength: c.max, "aria-describedby": P + "-h" }));
    kids.push(
      el("div", { hidden: "" }, [el("label", { for: P + "-w" }, ["Ne remplissez pas ce champ"]),
        el("input", { id: P + "-w", name: "website", tabindex: -1, autocomplete: "off" })]),
      status = el("p", { role: "status" }),
      btn = el("button", { class: "s" }, ["Envoyer"]),
      el("button", { type: "button", class: "x" }, ["Non merci"]));
    form = el("form", { novalidate: "" }, kids);
    merci = el("div", {}, [el("p", { tabindex: -1 }, [C.thanks]),
      el("button", { type: "button", class: "s x" }, ["Fermer"])]);
    dlg = el("dialog", { class: P, lang: "fr", "aria-labelledby": P + "-t", "aria-describedby": P + "-r" }, [
      el("h2", { id: P + "-t" }, [C.title]), el("p", { id: P + "-r" }), form, merci]);
    form.addEventListener("submit", send);
    dlg.addEventListener("click", function (ev) {
      if (ev.target.classList.contains("x")) dlg.close();
    });
    // Browsers give focus back to the link themselves; this covers those that leave it on the
    // page's body. The event comes a task after the dialog closes: by then the visitor may have
    // moved on to another link, whose focus is not taken away.
    dlg.addEventListener("close", function () {
      var a = document.activeElement;
      if ((a == document.body || dlg.contains(a)) && opener.isConnected) opener.focus();
    });
    document.body.append(dlg);
  }

  function send(ev) {
    ev.preventDefault();
    var f = form.elements, q = C.q, choice = form.querySelector("input[name='" + q.name + "']:checked"),
      comment = C.c && f.namedItem(C.c.name).value.trim(), answers = {};
    if (!choice) {
      err.textContent = "Choisissez une réponse pour envoyer votre avis.";
      err.hidden = false;
      box.setAttribute("aria-invalid", "true");
      return form.querySelector("input").focus();
    }
    answers[q.name] = choice.value;
    if (comment) answers[C.c.name] = comment;
    btn.disabled = true;
    status.textContent = "Envoi en cours…";
    post("ratings", { resource: current, answers: answers, website: f.namedItem("website").value })
      .then(function (res) {
        if (res.status == 201) {
          form.hidden = true;
          merci.hidden = false;
          return merci.firstChild.focus();
        }
        return res.json().then(function (body) {
          throw { m: (body.errors && body.errors[0] || body).message };
        });
      })
      .catch(function (e) {
        btn.disabled = false;
        status.textContent = "Votre avis n’a pas pu être envoyé. " + (e.m || "") + " Réessayez plus tard.";
      });
  }

  function ask(link, id, title) {
    if (!dlg) build();
    if (dlg.open) return;
    opener = link;
    current = id;
    form.hidden = btn.disabled = false;
    merci.hidden = err.hidden = true;
    form.reset();
    box.removeAttribute("aria-invalid");
    status.textContent = "";
    dlg.querySelector("#" + P + "-r").textContent =
      "Votre téléchargement a commencé" + (title ? " : « " + title + " »" : "") + ".";
    dlg.showModal();
  }

  function onClick(ev) {
    var link = ev.button < 2 && ev.target.closest && ev.target.closest("a[data-anact-resource]");
    if (!link) return;
    var id = link.getAttribute("data-anact-resource"),
      title = (link.getAttribute("data-anact-title") || link.textContent).trim().slice(0, 200),
      theme = link.getAttribute("data-anact-theme"),
      sent = post("downloads", { resource: id, title: title || null, theme: theme }, true);
    if (sent) sent.catch(function () { /* counting is best effort */ });
    if (C && !seen(id)) setTimeout(ask, 0, link, id, title);
  }

  document.addEventListener("click", onClick);
  document.addEventListener("auxclick", onClick);
})();
