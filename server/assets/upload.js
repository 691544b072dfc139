// Photos and files from the browser (an ES module, loaded by every page; see
// server/src/web/uploads.rs for the server's side).
//
// Every `.uploads[data-field]` container inside a form (templates/upload.html renders one)
// gets its file inputs worked: for each file chosen,
//   1. hash it with BLAKE3 (the vendored @noble/hashes) — files are named by their hash;
//   2. ask `GET /uploads/{hash}/status` how much the server has (a file the person may use
//      already is not sent again; an interrupted upload goes on where it stopped);
//   3. send the missing bytes in chunks with `Content-Range` (`PUT /uploads/{hash}`),
//      showing the progress, asking the status again after a failure and resuming;
//   4. `POST /uploads/{hash}/evidence`: the server runs the photo pipeline on a JPEG from
//      the camera or the gallery (or keeps any other file as it is) and answers what a
//      command cites (a BlobRef as JSON);
//   5. add `<input type="hidden" name="{data-field}" value="{BlobRef JSON}">` to the list,
//      inside the form, with a button to remove it again.
// A form is not sent while one of its files is still on its way.
//
// Every page loads this module; the hash's modules only when a file is first hashed.

/** The vendored @noble/hashes' blake3 and bytesToHex, imported on first use. */
let noble = null;
function hasher() {
  if (!noble) {
    noble = Promise.all([
      import("./noble-hashes-2.4.0/blake3.js"),
      import("./noble-hashes-2.4.0/utils.js"),
    ]).then(([b, u]) => ({ blake3: b.blake3, hex: u.bytesToHex }));
  }
  return noble;
}

// Bytes per upload request (the server takes up to 8 MiB): the bar moves within a request
// too, and a failure costs at most this much again.
const CHUNK = 1024 * 1024;
// Bytes read and hashed at a time, so a large file is never all in memory.
const SLICE = 1024 * 1024;
// Tries of one step after a network failure or a server error before giving up.
const TRIES = 5;

/** The hex BLAKE3 hash of a Blob (or File), read a slice at a time. */
async function hashBlob(blob, progress) {
  const { blake3, hex } = await hasher();
  const h = blake3.create();
  for (let at = 0; at < blob.size; at += SLICE) {
    const end = Math.min(at + SLICE, blob.size);
    h.update(new Uint8Array(await blob.slice(at, end).arrayBuffer()));
    if (progress) progress(end);
  }
  return hex(h.digest());
}

/** The hex BLAKE3 hash of bytes in one call. */
async function hashBytes(bytes) {
  const { blake3, hex } = await hasher();
  return hex(blake3(bytes));
}

// For the browser test, which checks both against the server's hash.
window.dubanUpload = { hashBlob: hashBlob, hashBytes: hashBytes };

/** The page's form token: the form's `csrf` field, else the header htmx sends. */
function csrfOf(form) {
  const field = form.querySelector('input[name="csrf"]');
  if (field && field.value) return field.value;
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
  } catch (_) {
    return "";
  }
}

/** A request with XMLHttpRequest (fetch cannot report an upload's progress). Resolves
 *  with {status, body} (body parsed as JSON when it is); status 0 is a network failure. */
function request(method, url, opts) {
  opts = opts || {};
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader("Accept", "application/json");
    Object.entries(opts.headers || {}).forEach(([k, v]) => xhr.setRequestHeader(k, v));
    if (opts.progress) xhr.upload.onprogress = (e) => opts.progress(e.loaded);
    if (opts.job) opts.job.xhr = xhr;
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (_) { body = null; }
      resolve({ status: xhr.status, body: body });
    };
    xhr.onerror = xhr.onabort = xhr.ontimeout = () => resolve({ status: 0, body: null });
    xhr.send(opts.body === undefined ? null : opts.body);
  });
}

/** An error to show: the server's code and sentences, or a network failure. */
class Failure extends Error {
  constructor(reply) {
    const b = (reply && reply.body) || {};
    super(b.en || "network");
    this.status = reply ? reply.status : 0;
    this.code = b.code || (this.status ? "http." + this.status : "network");
    // The sentences the server sent, both languages; without them (the network failed, an
    // answer that is not ours), the box's own words from the catalog (see `words`).
    this.zh = b.zh || null;
    this.en = b.en || null;
    // Worth trying again: the network, a server error, or a chunk out of step (ask anew).
    this.transient = this.status === 0 || this.status >= 500 || this.code === "blob.bad_offset";
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Sends the bytes the server does not have yet; resolves once the file is stored. */
async function send(job) {
  const file = job.file;
  const headers = { "X-CSRF-Token": job.csrf, "Content-Type": file.type || "application/octet-stream" };
  for (let attempt = 1; ; attempt++) {
    try {
      const st = await request("GET", "/uploads/" + job.hash + "/status", { job: job });
      if (st.status !== 200) throw new Failure(st);
      if (st.body.complete) {
        job.show("uploading", file.size); // stored already: nothing to send
        return;
      }
      // The server's bytes count only for an upload of this size.
      let at = st.body.total === file.size ? st.body.received : 0;
      if (file.size === 0) {
        const r = await request("PUT", "/uploads/" + job.hash, { headers: headers, body: "", job: job });
        if (r.status === 200 || r.status === 201) return;
        throw new Failure(r);
      }
      job.show("uploading", at);
      while (at < file.size) {
        if (job.cancelled) return;
        const end = Math.min(at + CHUNK, file.size);
        const from = at;
        const r = await request("PUT", "/uploads/" + job.hash, {
          headers: Object.assign({ "Content-Range": "bytes " + from + "-" + (end - 1) + "/" + file.size }, headers),
          body: file.slice(from, end),
          progress: (n) => job.show("uploading", from + n),
          job: job,
        });
        if (r.status === 200 || r.status === 201) {
          job.show("uploading", file.size);
          return;
        }
        if (r.status !== 202) throw new Failure(r);
        at = r.body.received;
        attempt = 1;
        job.show("uploading", at);
      }
      return;
    } catch (e) {
      const failure = e instanceof Failure ? e : new Failure(null);
      if (job.cancelled || !failure.transient || attempt >= TRIES) throw failure;
      job.show("retrying", null);
      await sleep(500 * 2 ** attempt);
    }
  }
}

/** The browser's clock as RFC 3339 with its UTC offset, to the second. */
function localTime(d) {
  const pad = (n) => String(n).padStart(2, "0");
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
    pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
    (offset >= 0 ? "+" : "-") + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
}

/** The browser's position, if it gives one soon (only asked for the camera). */
function position() {
  if (!navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
    // Some browsers never answer while their prompt is left open.
    setTimeout(() => resolve(null), 9000);
  });
}

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function size(n) {
  if (n < 1024) return n + " B";
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
  return (n / 1024 / 1024).toFixed(1) + " MB";
}

/**
 * The box's words in the page's language: the page puts them on the box as `data-t-*`
 * attributes from the server's catalog (templates/upload.html); the script has none of its
 * own.
 */
function words(box) {
  const t = (box && box.dataset) || {};
  return {
    hashing: t.tHashing || "",
    uploading: t.tUploading || "",
    retrying: t.tRetrying || "",
    processing: t.tProcessing || "",
    uploaded: t.tUploaded || "",
    remove: t.tRemove || "",
    retry: t.tRetry || "",
    photo: t.tPhoto || "",
    gallery: t.tGallery || "",
    thumb: t.tThumb || "",
    refused: t.tRefused || "",
    network: t.tNetwork || "",
  };
}

/** A failure's sentence in the page's language (`<html lang>`). */
function sentence(f, w) {
  const en = (document.documentElement.lang || "").toLowerCase().startsWith("en");
  const said = en ? f.en : f.zh;
  return said || (f.status ? w.refused : w.network);
}

let serial = 0;

/** One file on its way: its line in the list, with a bar and a state. */
function job(box, file, source) {
  const id = "upload-" + ++serial;
  const line = el("li", { class: "upload-item", "data-state": "hashing" });
  const name = el("span", { class: "upload-name", id: id + "-name" }, file.name + " (" + size(file.size) + ")");
  const bar = el("progress", { max: String(Math.max(file.size, 1)), value: "0", "aria-labelledby": id + "-name " + id + "-state" });
  const state = el("span", { class: "upload-state", id: id + "-state", role: "status" });
  const w = words(box);
  const remove = el("button", { type: "button", class: "upload-remove" }, w.remove);
  remove.setAttribute("aria-label", w.remove + " " + file.name);
  line.append(name, bar, state, remove);
  box.querySelector(".upload-list").append(line);
  const form = box.closest("form");
  const j = {
    file: file, source: source, line: line, bar: bar, box: box, form: form,
    csrf: csrfOf(form), hash: null, cancelled: false, xhr: null,
    show(what, bytes) {
      line.dataset.state = what;
      if (bytes !== null && bytes !== undefined) {
        bar.value = bytes;
        const pct = file.size ? Math.floor((bytes * 100) / file.size) : 100;
        state.textContent = w[what] + " " + pct + "%";
      } else {
        state.textContent = w[what];
      }
    },
  };
  return j;
}

/** Runs one file through hashing, upload and evidence. */
async function run(j) {
  j.line.dataset.state = "hashing";
  try {
    if (!j.hash) j.hash = await hashBlob(j.file, (n) => j.show("hashing", n));
    if (j.cancelled) return;
    await send(j);
    if (j.cancelled) return;
    j.show("processing", null);
    j.bar.removeAttribute("value"); // indeterminate while the server works
    const item = j.box.dataset.item ||
      ((j.form.getAttribute("action") || "").match(/^\/items\/([^/]+)\//) || [])[1] || null;
    const body = {
      name: j.file.name,
      source: j.source,
      device_time: localTime(j.chosen),
      location: await j.where,
      item: item,
      place: j.box.dataset.place || null,
    };
    const r = await request("POST", "/uploads/" + j.hash + "/evidence", {
      headers: { "X-CSRF-Token": j.csrf, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      job: j,
    });
    if (r.status !== 200) throw new Failure(r);
    if (j.cancelled) return;
    done(j, r.body);
  } catch (e) {
    if (j.cancelled) return;
    const f = e instanceof Failure ? e : new Failure(null);
    failed(j, f);
  }
}

/** The file is ready: its hidden field, its thumbnail and what the photo records. */
function done(j, blob) {
  const field = j.box.dataset.field;
  const w = words(j.box);
  const note = j.box.querySelector(".upload-wait");
  if (note) note.hidden = true;
  j.line.replaceChildren();
  j.line.dataset.state = "done";
  j.line.dataset.hash = blob.hash;
  if (blob.photo) {
    j.line.append(el("img", {
      src: "/files/" + blob.photo.thumbnail.hash,
      alt: w.thumb + " " + j.file.name,
      width: "64", height: "64",
    }));
  }
  const label = blob.photo
    ? j.file.name + " · " + w.photo + " " + blob.photo.width + "×" + blob.photo.height +
      (blob.photo.source === "gallery" ? " · " + w.gallery : "")
    : blob.name + " (" + size(blob.size) + ")";
  j.line.append(
    el("span", { class: "upload-name" }, label),
    el("span", { class: "upload-state", role: "status" }, w.uploaded),
    el("button", { type: "button", class: "upload-remove", "aria-label": w.remove + " " + j.file.name }, w.remove),
    el("input", { type: "hidden", name: field, value: JSON.stringify(blob) }));
}

function failed(j, f) {
  j.line.dataset.state = "failed";
  j.line.dataset.code = f.code;
  j.bar.value = 0;
  const w = words(j.box);
  // The sentence, and the stable code marked apart.
  j.line.querySelector(".upload-state").replaceChildren(
    sentence(f, w) + " ",
    el("code", { class: "err-code" }, f.code));
  if (!j.line.querySelector(".upload-retry")) {
    const retry = el("button", { type: "button", class: "upload-retry" }, w.retry);
    retry.addEventListener("click", () => {
      retry.remove();
      run(j);
    });
    j.line.insertBefore(retry, j.line.querySelector(".upload-remove"));
  }
}

const jobs = new WeakMap();

document.addEventListener("change", (e) => {
  const input = e.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
  const box = input.closest(".uploads[data-field]");
  if (!box || !box.closest("form")) return;
  const source = input.dataset.source === "camera" ? "camera" : "gallery";
  const chosen = new Date();
  const where = source === "camera" ? position() : Promise.resolve(null);
  Array.from(input.files || []).forEach((file) => {
    const j = job(box, file, source);
    j.chosen = chosen;
    j.where = where;
    jobs.set(j.line, j);
    run(j);
  });
  input.value = ""; // the same file may be chosen again
});

document.addEventListener("click", (e) => {
  const button = e.target instanceof Element && e.target.closest(".uploads .upload-remove");
  if (!button) return;
  const line = button.closest(".upload-item");
  const j = jobs.get(line);
  if (j) {
    j.cancelled = true;
    if (j.xhr) j.xhr.abort();
  }
  const box = line.closest(".uploads");
  line.remove();
  const first = box && box.querySelector(".upload-pick input");
  if (first) first.focus();
});

// A form is not sent while its files are on their way (they would be missing from it).
document.addEventListener("submit", (e) => {
  const busy = e.target.querySelector(
    '.uploads .upload-item[data-state="hashing"], .uploads .upload-item[data-state="uploading"], ' +
    '.uploads .upload-item[data-state="retrying"], .uploads .upload-item[data-state="processing"]');
  const box = busy && busy.closest(".uploads");
  const note = box && box.querySelector(".upload-wait");
  if (note) note.hidden = !busy;
  if (!busy) return;
  e.preventDefault();
  e.stopPropagation();
}, true);
