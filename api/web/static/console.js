// The console's little script: the agent's time zone, photos by drag and drop, upload progress,
// and the problem region dragged on the first photo. Every page works without it.
(function () {
  "use strict";
  // The path a reverse proxy serves the console under ("/evidence"; "" at "/"): every address below carries it.
  var root = (document.body && document.body.dataset.root) || "";
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  if (zone) {
    var had = document.cookie.split("; ").some(function (c) { return c === "ec_tz=" + encodeURIComponent(zone); });
    document.cookie = "ec_tz=" + encodeURIComponent(zone) + "; path=" + (root || "/") + "; max-age=31536000; samesite=strict";
    // The first page was written in the server's zone: write it again in the agent's.
    if (!had && document.body && document.body.dataset.zone !== zone && !sessionStorage.getItem("ec_tz_reloaded")) {
      sessionStorage.setItem("ec_tz_reloaded", "1");
      if (document.querySelector("time")) { location.reload(); }
    }
  }

  // The error-level view of a photo, made by the server only when the agent asks for it.
  Array.prototype.forEach.call(document.querySelectorAll("a.ela-link"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (link.dataset.shown) { return; }
      link.dataset.shown = "1";
      var view = document.createElement("img");
      view.className = "ela-view";
      view.alt = link.dataset.alt;
      view.src = link.href;
      link.parentNode.insertAdjacentElement("afterend", view);
    });
  });

  // A table's box is a keyboard stop (its tabindex, on the page) so that a table wider than the
  // screen can be scrolled without a mouse; where the table fits, the stop leads nowhere: taken away.
  var tableBoxes = document.querySelectorAll(".table-scroll");
  function keyboardStops() {
    Array.prototype.forEach.call(tableBoxes, function (box) {
      if (box.scrollWidth > box.clientWidth) { box.tabIndex = 0; } else { box.removeAttribute("tabindex"); }
    });
  }
  keyboardStops();
  window.addEventListener("resize", keyboardStops);

  var form = document.getElementById("claim-form");
  if (!form) { return; }
  var input = document.getElementById("photos");
  var drop = document.getElementById("drop");
  var chosen = document.getElementById("chosen");
  var tz = document.getElementById("tz");
  if (zone && tz && !document.getElementById("form-error")) {
    tz.value = zone;
    document.getElementById("tz-shown").textContent = zone;
  }

  // The SKU looked up in the catalog as it is typed: its name, category and pictures, or a word
  // that the catalog does not have it (the relevance look then has nothing to compare with). SKUs are
  // compared exactly: `ab-1` is another SKU than `AB-1`. A large catalog's list holds its first SKUs
  // only (`data-every` absent): a SKU not in it is asked of the server once typing pauses, and only
  // the answer for what the field still holds is shown.
  var sku = document.getElementById("sku");
  var skuFound = document.getElementById("sku-found");
  var skuList = document.getElementById("skus");
  var skuPause = null;
  var skuAsked = 0;
  function lookUpSku() {
    var typed = sku.value.trim();
    var match = Array.prototype.find.call(skuList.options, function (option) {
      return option.value === typed;
    });
    clearTimeout(skuPause);
    var mine = ++skuAsked;
    if (!typed || match || "every" in skuList.dataset) {
      skuFound.textContent = !typed ? "" : match ? match.dataset.found : skuFound.dataset.unknown;
      return;
    }
    var asked;
    try {
      asked = encodeURIComponent(typed);
    } catch (notText) {  // a lone surrogate (half a character pasted): no SKU holds one
      skuFound.textContent = skuFound.dataset.unknown;
      return;
    }
    skuFound.textContent = "";
    skuPause = setTimeout(function () {
      fetch(skuList.dataset.lookup + "?sku=" + asked, { credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (looked) {
          if (mine !== skuAsked || !looked) { return; }
          skuFound.textContent = looked.found === null ? skuFound.dataset.unknown : looked.found;
        })
        .catch(function () {});  // unanswered: nothing is said, as before the look-up
    }, 300);
  }
  sku.addEventListener("input", lookUpSku);
  lookUpSku();

  function listChosen() {
    chosen.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var item = document.createElement("li");
      item.textContent = file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)";
      chosen.appendChild(item);
    });
    showRegionPhoto(input.files[0]);
  }
  input.addEventListener("change", listChosen);
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) { event.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function (event) { event.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      listChosen();
    }
  });

  // The region: a box dragged on the first photo, written as X,Y,W,H in the photo's own pixels into
  // the field (which can also be typed in). The browser shows the photo upright by its EXIF
  // orientation, as the service reads it.
  var box = document.getElementById("region-stage");
  var photo = document.getElementById("region-photo");
  var mark = document.getElementById("region-mark");
  var region = document.getElementById("region");
  var start = null;
  // A browser shows JPEG, PNG, WebP and GIF itself; any other photo (HEIC above all) is previewed
  // by the server as a JPEG, which says the photo's own size so that the box is given in its pixels.
  var shown = 0;
  // `none` (or `N:none`) takes back the box sent before with that photo: a word, not pixels of the
  // photo shown, so choosing the photos keeps it where it clears a box.
  var takenBack = /^\s*(\d+\s*:\s*)?none\s*$/i;
  function showRegionPhoto(file) {
    if (takenBack.test(region.value)) { mark.hidden = true; } else { clearRegion(); }
    var mine = ++shown;
    box.hidden = true;
    delete photo.dataset.width;
    if (!file) { return; }
    if (/^image\/(jpeg|png|webp|gif)$/.test(file.type)) {
      photo.src = URL.createObjectURL(file);
      box.hidden = false;
      return;
    }
    var sent = new FormData();
    sent.append("csrf", form.elements.csrf.value);
    sent.append("photo", file, file.name);
    var request = new XMLHttpRequest();
    request.open("POST", root + "/claims/preview");
    request.responseType = "blob";
    request.addEventListener("load", function () {
      if (mine !== shown || request.status !== 200) { return; }
      photo.dataset.width = request.getResponseHeader("X-Photo-Width");
      photo.src = URL.createObjectURL(request.response);
      box.hidden = false;
    });
    request.send(sent);
  }
  function clearRegion() { region.value = ""; mark.hidden = true; }
  // A first photo the browser cannot show (not an image at all): nothing to draw on.
  photo.addEventListener("error", function () { box.hidden = true; });
  function point(event) {
    var rect = photo.getBoundingClientRect();
    return {
      x: Math.min(Math.max(event.clientX - rect.left, 0), rect.width),
      y: Math.min(Math.max(event.clientY - rect.top, 0), rect.height)
    };
  }
  function draw(a, b) {
    var left = Math.min(a.x, b.x), top = Math.min(a.y, b.y);
    mark.style.left = left + "px"; mark.style.top = top + "px";
    mark.style.width = Math.abs(a.x - b.x) + "px"; mark.style.height = Math.abs(a.y - b.y) + "px";
    mark.hidden = false;
  }
  photo.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    start = point(event);
    photo.setPointerCapture(event.pointerId);
  });
  photo.addEventListener("pointermove", function (event) { if (start) { draw(start, point(event)); } });
  photo.addEventListener("pointerup", function (event) {
    if (!start) { return; }
    var width = Number(photo.dataset.width) || photo.naturalWidth;
    var end = point(event), scale = width / photo.getBoundingClientRect().width;
    var x = Math.round(Math.min(start.x, end.x) * scale), y = Math.round(Math.min(start.y, end.y) * scale);
    var w = Math.round(Math.abs(start.x - end.x) * scale), h = Math.round(Math.abs(start.y - end.y) * scale);
    start = null;
    if (w < 2 || h < 2) { clearRegion(); return; }
    region.value = [x, y, w, h].join(",");
  });
  var regionHelp = document.getElementById("region-help");
  regionHelp.textContent = regionHelp.dataset.drag;
  var regionClear = document.getElementById("region-clear");
  regionClear.hidden = false;
  regionClear.addEventListener("click", clearRegion);

  // Upload with progress; the answer is the report page (a redirect), or the form drawn again with
  // its problem. A browser cannot put files back into a file field: the problem is taken into this
  // page, where the photos, the region and every field the agent filled in are still there.
  var progress = document.getElementById("progress");
  var status = document.getElementById("progress-text");
  var submit = document.getElementById("submit");
  // Set once the server said the agent is signed out, or signed in afresh: the form's token is
  // another session's, and a new one is fetched before the form is sent again.
  var tokenStale = false;
  function ready() {
    submit.disabled = false;
    progress.hidden = true;
    status.textContent = "";
  }
  function problem(text, signInLink) {
    var line = document.getElementById("form-error");
    if (!line) {
      line = document.createElement("p");
      line.className = "problem";
      line.id = "form-error";
      line.setAttribute("role", "alert");
      line.tabIndex = -1;
      form.parentNode.insertBefore(line, form);
    }
    line.textContent = text;
    if (signInLink) {
      var link = document.createElement("a");
      link.href = root + "/signin?next=" + encodeURIComponent("/new-claim");
      link.target = "_blank";
      link.textContent = form.dataset.signIn;
      line.appendChild(document.createTextNode(" "));
      line.appendChild(link);
    }
    line.focus();
  }
  // No answer came (the connection failed): nothing was recorded, and the agent may send the form again.
  function failed() {
    ready();
    status.textContent = status.dataset.failed;
  }
  function landedOn(request) {
    return request.responseURL ? new URL(request.responseURL).pathname : "";
  }
  function signedOut() {
    tokenStale = true;
    ready();
    problem(form.dataset.signedOut, true);
  }
  // Signed in again with another merchant's key: this form's claim is not theirs to record. Said,
  // and true, when `drawn` (a form the server drew) is theirs; the next send fetches a token afresh.
  function otherTenant(drawn) {
    if (drawn.dataset.tenant === form.dataset.tenant) { return false; }
    tokenStale = true;
    ready();
    problem(form.dataset.otherTenant.replace("{tenant}", drawn.dataset.tenant), true);
    return true;
  }
  function send() {
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        progress.value = Math.round((e.loaded / e.total) * 100);
        status.textContent = status.dataset.uploading + " " + progress.value + "%";
      }
    });
    request.upload.addEventListener("load", function () {
      progress.removeAttribute("value");
      status.textContent = status.dataset.analysing;
    });
    request.addEventListener("load", function () {
      var landed = landedOn(request);
      if (landed === root + "/signin") { signedOut(); return; }
      // Redirected away from the form: to the report, whose address may hold "new-claim" itself.
      if (request.status === 200 && landed && landed !== root + "/new-claim") {
        location.assign(request.responseURL);
        return;
      }
      var answer = new DOMParser().parseFromString(request.responseText, "text/html");
      var drawn = answer.getElementById("claim-form");
      // A photo refused while it streamed in is answered before the token is checked, with the form
      // of whoever is signed in now: another merchant's token is never taken into this form.
      if (drawn && otherTenant(drawn)) { return; }
      if (drawn) {
        // A new form id: a form recorded before (409) is sent again as a new claim.
        form.elements.form_id.value = drawn.elements.form_id.value;
        form.elements.csrf.value = drawn.elements.csrf.value;
        ready();
        var said = answer.getElementById("form-error");
        // The photos are still in this page's field: the line asking to choose them again is not for it.
        var again = answer.getElementById("photos-again");
        if (again) { again.remove(); }
        problem(said ? said.textContent : "");
        return;
      }
      if (request.status === 403 && answer.getElementById("stale-form")) {
        tokenStale = true;
        ready();
        problem(form.dataset.stale);
        return;
      }
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", failed);
    progress.hidden = false;
    progress.value = 0;
    submit.disabled = true;
    request.send(new FormData(form));
  }
  function sendWithFreshToken() {
    var request = new XMLHttpRequest();
    request.open("GET", root + "/new-claim");
    request.addEventListener("load", function () {
      var drawn = landedOn(request) === root + "/new-claim" &&
        new DOMParser().parseFromString(request.responseText, "text/html").getElementById("claim-form");
      if (!drawn) { signedOut(); return; }
      if (otherTenant(drawn)) { return; }
      form.elements.csrf.value = drawn.elements.csrf.value;
      tokenStale = false;
      send();
    });
    request.addEventListener("error", failed);
    submit.disabled = true;
    request.send();
  }
  form.addEventListener("submit", function (event) {
    if (!window.FormData || !window.XMLHttpRequest || !window.DOMParser) { return; }
    event.preventDefault();
    if (tokenStale) { sendWithFreshToken(); } else { send(); }
  });
})();

// The catalog's zones: drag a box on an image (the file opened from the agent's computer, or the
// blank sheet of the image's size), name it in its row; the rows are the zones, typed or dragged.
// The form sends them as PUT /v1/catalog/{sku}/zones takes them: {"zipper": [x, y, w, h]}, or with a cause.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  Array.prototype.forEach.call(document.querySelectorAll(".zone-card"), function (card) {
    var stage = card.querySelector(".zone-stage");
    var map = card.querySelector(".zone-map");
    var photo = card.querySelector(".zone-photo");
    var size = card.querySelector(".zone-size");
    var form = card.querySelector(".zone-form");
    var rows = card.querySelector(".zone-rows tbody");
    var width = Number(stage.dataset.width), height = Number(stage.dataset.height);
    var fontSize = Math.max(Math.floor(width / 28), 12);
    var start = null, drawing = null;

    function box(text) {
      var parts = text.split(",").map(function (v) { return Number(v.trim()); });
      return parts.length === 4 && parts.every(function (v) { return isFinite(v) && v >= 0; }) && parts[2] > 0 && parts[3] > 0 ? parts : null;
    }
    function zones() {
      return Array.prototype.map.call(rows.querySelectorAll(".zone-row"), function (row) {
        var inputs = row.querySelectorAll("input");
        var cause = row.querySelector("select[name=zone_cause]");
        return {
          name: inputs[0].value.trim(), text: inputs[1].value.trim(), box: box(inputs[1].value),
          cause: cause ? cause.value : "unknown", extra: row.querySelector("input[name=zone_extra]").value
        };
      });
    }
    function redraw() {
      Array.prototype.forEach.call(map.querySelectorAll(".zone, .zone-name"), function (node) { node.remove(); });
      zones().forEach(function (zone) {
        if (!zone.box) { return; }
        var rect = document.createElementNS(SVG, "rect");
        rect.setAttribute("class", "zone");
        ["x", "y", "width", "height"].forEach(function (name, i) { rect.setAttribute(name, zone.box[i]); });
        rect.setAttribute("vector-effect", "non-scaling-stroke");
        var label = document.createElementNS(SVG, "text");
        label.setAttribute("class", "zone-name");
        label.setAttribute("x", zone.box[0] + 6);
        label.setAttribute("y", zone.box[1] + 6);
        label.setAttribute("font-size", fontSize);
        label.setAttribute("dominant-baseline", "hanging");
        label.textContent = zone.name;
        map.appendChild(rect);
        map.appendChild(label);
      });
    }
    function emptyRow() {
      var last = rows.querySelector(".zone-row:last-child");
      var inputs = last.querySelectorAll("input");
      if (!inputs[0].value && !inputs[1].value) { return last; }
      var copy = last.cloneNode(true);
      Array.prototype.forEach.call(copy.querySelectorAll("input"), function (input) { input.value = ""; });
      copy.querySelector("select[name=zone_cause]").value = "unknown";
      rows.appendChild(copy);
      return copy;
    }
    function point(event) {
      var rect = map.getBoundingClientRect();
      return {
        x: Math.round(Math.min(Math.max(event.clientX - rect.left, 0), rect.width) * width / rect.width),
        y: Math.round(Math.min(Math.max(event.clientY - rect.top, 0), rect.height) * height / rect.height)
      };
    }
    map.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      start = point(event);
      map.setPointerCapture(event.pointerId);
      drawing = document.createElementNS(SVG, "rect");
      drawing.setAttribute("class", "zone drawing");
      drawing.setAttribute("vector-effect", "non-scaling-stroke");
      map.appendChild(drawing);
    });
    map.addEventListener("pointermove", function (event) {
      if (!start) { return; }
      var end = point(event);
      drawing.setAttribute("x", Math.min(start.x, end.x));
      drawing.setAttribute("y", Math.min(start.y, end.y));
      drawing.setAttribute("width", Math.abs(start.x - end.x));
      drawing.setAttribute("height", Math.abs(start.y - end.y));
    });
    map.addEventListener("pointerup", function (event) {
      if (!start) { return; }
      var end = point(event);
      var found = [Math.min(start.x, end.x), Math.min(start.y, end.y), Math.abs(start.x - end.x), Math.abs(start.y - end.y)];
      start = null;
      drawing.remove();
      if (found[2] < 2 || found[3] < 2) { return; }
      var row = emptyRow();
      var inputs = row.querySelectorAll("input");
      inputs[1].value = found.join(",");
      redraw();
      inputs[0].focus();
    });
    rows.addEventListener("input", redraw);
    rows.addEventListener("click", function (event) {
      if (!event.target.classList.contains("zone-remove")) { return; }
      var row = event.target.closest(".zone-row");
      if (rows.querySelectorAll(".zone-row").length > 1) { row.remove(); }
      else { Array.prototype.forEach.call(row.querySelectorAll("input"), function (input) { input.value = ""; }); }
      redraw();
    });
    card.querySelector(".zone-open").addEventListener("change", function (event) {
      var file = event.target.files[0];
      if (!file) { return; }
      photo.onload = function () {
        stage.classList.add("open");
        photo.hidden = false;
        if (photo.naturalWidth !== width || photo.naturalHeight !== height) { size.textContent = size.dataset.wrong; }
      };
      photo.src = URL.createObjectURL(file);
    });
    form.addEventListener("submit", function () {
      var all = zones().filter(function (zone) { return zone.name || zone.text; });
      // A row the server must explain (no name, not four numbers) is sent as rows, not as JSON.
      if (all.some(function (zone) { return !zone.name || !zone.box; })) { return; }
      // The JSON form PUT /v1/catalog/{sku}/zones takes: a plain box, or the zone with its cause and what
      // the page kept without editing (a polygon while its box is the one shown, the note, the Chinese label).
      var sent = {};
      all.forEach(function (zone) {
        var kept = zone.extra ? JSON.parse(zone.extra) : {};
        var entry = {};
        ["note", "label_zh"].forEach(function (key) { if (kept[key]) { entry[key] = kept[key]; } });
        if (kept.polygon && kept.shown_box && kept.shown_box.join(",") === zone.box.join(",")) { entry.polygon = kept.polygon; }
        else { entry.box = zone.box; }
        if (zone.cause !== "unknown") { entry.cause = zone.cause; }
        sent[zone.name] = Object.keys(entry).length === 1 && entry.box ? zone.box : entry;
      });
      form.elements.zones.value = JSON.stringify(sent);
    });
  });
})();
