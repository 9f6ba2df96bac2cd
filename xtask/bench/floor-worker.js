// The floor for `cargo xtask bench-edge`: a minimal hand-written JavaScript Worker that does, for the
// paths the benchmark drives, the work Inlet's Rust Worker does (edge/src/router.rs, forms/api.rs,
// intake/api.rs), so the two can be compared in the same workerd with the same D1 schema and rows.
//
// It keeps the same round trips per request, which is the point of the comparison:
//   GET  /health                   no I/O;
//   GET  /v1/forms/{id}            one D1 read (the form), an HMAC-SHA-256 form token;
//   POST /v1/forms/{id}/leads      D1: the form, the idempotency key (when one is sent), the form's
//                                  enabled destinations (a person's lead only), one batch with the
//                                  lead and its key; two calls to a sliding-log Durable Object (the
//                                  client's limit, then the form's), as Inlet's IntakeLimiter does.
// The rules of the form are the same as `shared`'s (text, email, phone, consent, lengths, control
// characters), written out again here for the benchmark only: Inlet itself has one copy of each rule.
// What it leaves out is what the benchmark never reaches: Turnstile (refused as unsupported), the
// visitor sentences in errors (a code and a short title instead), and every other path.

const SECURITY_HEADERS = [
  ["x-content-type-options", "nosniff"],
  ["referrer-policy", "strict-origin-when-cross-origin"],
  ["content-security-policy", "default-src 'none'; frame-ancestors 'none'"],
];
const FORM_TOKEN_HEADER = "inlet-form-token";
const REPLAYED_HEADER = "idempotent-replayed";
const MAX_BODY_BYTES = 64 * 1024;
const MAX_TOKEN_AGE_MS = 60 * 60 * 1000;
const MAX_SINGLE_LINE_CHARS = 1_000;
const MAX_MULTI_LINE_CHARS = 10_000;
const UTM_KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** A JSON answer with the headers every Inlet answer carries. */
function reply(status, body, headers = {}) {
  const all = new Headers([["content-type", "application/json"], ...SECURITY_HEADERS]);
  for (const [name, value] of Object.entries(headers)) all.set(name, value);
  return new Response(body === null ? null : JSON.stringify(body), { status, headers: all });
}

function problem(status, code, title, extra = {}, headers = {}) {
  const body = { type: "about:blank", title, status, code, ...extra };
  const response = reply(status, body, { "cache-control": "no-store", ...headers });
  response.headers.set("content-type", "application/problem+json");
  return response;
}

/** A refusal thrown by a step and answered as a problem. */
class Refusal extends Error {
  constructor(response) {
    super("refused");
    this.response = response;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const segments = url.pathname.split("/").slice(1);
    try {
      if (url.pathname === "/health" && request.method === "GET") {
        return reply(200, { status: "ok" }, { "cache-control": "no-store" });
      }
      if (segments[0] === "v1" && segments[1] === "forms" && segments.length === 3) {
        if (request.method === "GET") return await readForm(request, env, url, segments[2]);
      }
      if (segments[0] === "v1" && segments[1] === "forms" && segments[3] === "leads") {
        if (segments.length === 4 && request.method === "POST") {
          return await submitLead(request, env, url, segments[2]);
        }
      }
      return problem(404, "not_found", "There is nothing at this address.");
    } catch (error) {
      if (error instanceof Refusal) return error.response;
      console.error(`floor: ${error?.stack ?? error}`);
      return problem(500, "internal_error", "Something went wrong.");
    }
  },
};

// ---- forms ----------------------------------------------------------------------------------------

const KIND_MAX = { text: 200, hidden: 200, multi_line: 5_000 };

/** The definition as Inlet serves it: every member with its default filled in, as serde writes it. */
function normalisedDefinition(raw) {
  const fields = raw.fields.map((field) => {
    const wire = { name: field.name, label: field.label, kind: field.kind };
    if (field.kind in KIND_MAX) wire.max_length = field.max_length ?? KIND_MAX[field.kind];
    if (field.kind === "select") wire.options = field.options;
    if (field.kind === "consent") Object.assign(wire, { text: field.text, version: field.version });
    wire.required = field.required ?? false;
    if (field.help !== undefined && field.help !== null) wire.help = field.help;
    return wire;
  });
  const definition = {
    id: raw.id,
    title: raw.title,
    fields,
    default_country: raw.default_country ?? "US",
    submit_label: raw.submit_label ?? "Send",
    success_message:
      raw.success_message ??
      "Thank you! We have received your message and will be in touch soon.",
  };
  if (raw.turnstile_site_key) definition.turnstile_site_key = raw.turnstile_site_key;
  return definition;
}

async function findForm(db, formId) {
  const row = await db
    .prepare("SELECT tenant_id, definition, allowed_origins, settings FROM forms WHERE id = ?1")
    .bind(formId)
    .first();
  if (row === null) throw new Refusal(problem(404, "form_not_found", "This form does not exist."));
  const settings = JSON.parse(row.settings);
  const limits = settings.rate_limit ?? {};
  return {
    tenantId: row.tenant_id,
    id: formId,
    definition: normalisedDefinition(JSON.parse(row.definition)),
    allowedOrigins: JSON.parse(row.allowed_origins),
    settings: {
      perClient: clamped(limits.per_client ?? { limit: 10, window_seconds: 600 }),
      perForm: clamped(limits.per_form ?? { limit: 600, window_seconds: 600 }),
      minFillMs: (settings.min_fill_seconds ?? 2) * 1000,
      turnstile: settings.turnstile ?? null,
    },
  };
}

function clamped(limit) {
  return {
    limit: Math.min(Math.max(limit.limit, 1), 100_000),
    windowMs: Math.min(Math.max(limit.window_seconds, 1), 86_400) * 1000,
  };
}

function normaliseOrigin(raw) {
  const text = raw.trim().replace(/\/+$/, "").toLowerCase();
  const at = text.indexOf("://");
  if (at < 0) return null;
  const scheme = text.slice(0, at);
  const rest = text.slice(at + 3);
  if ((scheme !== "http" && scheme !== "https") || rest === "" || /[/?#@ ]/.test(rest)) {
    return null;
  }
  const defaultPort = scheme === "https" ? ":443" : ":80";
  return `${scheme}://${rest.endsWith(defaultPort) ? rest.slice(0, -defaultPort.length) : rest}`;
}

/** The browser's origin if the form allows it (null for a non-browser client); a 403 otherwise. */
function checkOrigin(request, url, allowed) {
  const origin = request.headers.get("origin");
  if (origin === null) return null;
  const normalised = normaliseOrigin(origin);
  const ok =
    normalised !== null &&
    (normaliseOrigin(url.origin) === normalised ||
      allowed.some((entry) => entry === "*" || normaliseOrigin(entry) === normalised));
  if (!ok) {
    throw new Refusal(
      problem(403, "origin_not_allowed", "This form does not accept submissions from this website."),
    );
  }
  return origin;
}

function expose(response, origin) {
  if (origin === null) {
    response.headers.set("vary", "Origin");
  } else {
    response.headers.set("access-control-allow-origin", origin);
    response.headers.set("vary", "Origin");
    response.headers.set(
      "access-control-expose-headers",
      `retry-after, ${FORM_TOKEN_HEADER}, ${REPLAYED_HEADER}`,
    );
  }
  return response;
}

/** The HMAC key for the Worker's secret, imported once per isolate. */
let signingKey = null;
function hmacKey(secret) {
  if (signingKey === null || signingKey.secret !== secret) {
    const key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    signingKey = { secret, key };
  }
  return signingKey.key;
}

function hex(bytes) {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/** The first 16 bytes of HMAC-SHA-256(secret, message), as hex: what Inlet's tokens and keys use. */
async function mac16(secret, message) {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), new TextEncoder().encode(message));
  return hex(new Uint8Array(mac, 0, 16));
}

async function formToken(secret, formId, issuedMs) {
  return `${issuedMs}.${await mac16(secret, `form-token\n${formId}\n${issuedMs}`)}`;
}

async function readForm(request, env, url, formId) {
  const form = await findForm(env.DB, formId);
  const origin = checkOrigin(request, url, form.allowedOrigins);
  const token = await formToken(env.INLET_SECRET, form.id, Date.now());
  const response = reply(200, form.definition, {
    "cache-control": "public, max-age=60",
    [FORM_TOKEN_HEADER]: token,
  });
  return expose(response, origin);
}

// ---- intake ---------------------------------------------------------------------------------------

async function submitLead(request, env, url, formId) {
  const form = await findForm(env.DB, formId);
  const origin = checkOrigin(request, url, form.allowedOrigins);
  let response;
  try {
    response = await acceptLead(request, env, form);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    response = error.response;
  }
  return expose(response, origin);
}

function created(id) {
  return reply(201, { id }, { "cache-control": "no-store" });
}

function parseKey(raw) {
  const key = raw.trim().replace(/^"+|"+$/g, "");
  return key.length > 0 && key.length <= 255 && /^[\x21-\x7e]+$/.test(key) ? key : null;
}

const malformed = (detail) =>
  new Refusal(
    problem(400, "malformed_json", "The request body is not valid JSON of the expected shape.", {
      detail,
    }),
  );

/** The submission's members, checked for shape as serde reads `LeadSubmission`. */
function readSubmission(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed("The body is not valid JSON.");
  }
  const shape = 'Expected an object like {"fields": {"email": "..."}}.';
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  const optionalText = (v) => v === undefined || v === null || typeof v === "string";
  if (!isObject(value)) throw malformed(shape);
  const fields = value.fields ?? {};
  const context = value.context ?? {};
  if (!isObject(fields) || !isObject(context)) throw malformed(shape);
  const utm = context.utm ?? {};
  if (
    !optionalText(context.page_url) ||
    !optionalText(context.referrer) ||
    !isObject(utm) ||
    !Object.values(utm).every((v) => typeof v === "string") ||
    !optionalText(value.token) ||
    !optionalText(value.honeypot) ||
    !optionalText(value.turnstile)
  ) {
    throw malformed(shape);
  }
  return {
    fields,
    context: { page_url: context.page_url ?? null, referrer: context.referrer ?? null, utm },
    token: value.token ?? null,
    honeypot: value.honeypot ?? null,
    turnstile: value.turnstile ?? null,
  };
}

/** The submission without the sender's proofs, as Inlet's `fingerprint` writes it, hashed. */
async function fingerprint(submission) {
  const sorted = (object) =>
    Object.fromEntries(Object.keys(object).sort().map((key) => [key, object[key]]));
  const context = {};
  if (submission.context.page_url !== null) context.page_url = submission.context.page_url;
  if (submission.context.referrer !== null) context.referrer = submission.context.referrer;
  if (Object.keys(submission.context.utm).length > 0) context.utm = sorted(submission.context.utm);
  const content = { fields: sorted(submission.fields), context };
  if (submission.honeypot !== null) content.honeypot = submission.honeypot;
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify(content)),
  );
  return hex(new Uint8Array(digest));
}

async function acceptLead(request, env, form) {
  const contentType = request.headers.get("content-type") ?? "";
  if (contentType.split(";")[0].trim().toLowerCase() !== "application/json") {
    throw new Refusal(
      problem(415, "unsupported_media_type", "Send the body as application/json."),
    );
  }
  const rawKey = request.headers.get("idempotency-key");
  const key = rawKey === null ? null : parseKey(rawKey);
  if (rawKey !== null && key === null) {
    throw new Refusal(
      problem(400, "idempotency_key_invalid", "The Idempotency-Key header is not valid."),
    );
  }
  const declared = Number.parseInt(request.headers.get("content-length") ?? "", 10);
  const tooLarge = () =>
    new Refusal(problem(413, "payload_too_large", "The request body is too large."));
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const body = await request.arrayBuffer();
  if (body.byteLength > MAX_BODY_BYTES) throw tooLarge();
  const submission = readSubmission(new TextDecoder().decode(body));
  const hash = await fingerprint(submission);
  if (key !== null) {
    const replayed = await replay(env.DB, form, key, hash);
    if (replayed !== null) return replayed;
  }
  const secret = env.INLET_SECRET;
  const clientIp = request.headers.get("cf-connecting-ip");
  const client = await mac16(secret, `client-ip\n${rateLimitAddress(clientIp ?? "unknown")}`);
  await takeLimit(env.LIMITER, `client:${form.id}:${client}`, form.settings.perClient);
  const lead = parseLead(form.definition, submission);
  if (form.settings.turnstile !== null) {
    throw new Refusal(problem(501, "not_implemented", "The floor does not verify Turnstile."));
  }
  await takeLimit(env.LIMITER, `form:${form.id}`, form.settings.perForm);
  const spamReason = await verdict(secret, form, submission, Date.now());
  const id = `ld_${base32(crypto.getRandomValues(new Uint8Array(16)))}`;
  const now = Date.now();
  const deliveries = [];
  if (spamReason === null) {
    const { results } = await env.DB.prepare(
      "SELECT id FROM destinations WHERE tenant_id = ?1 AND form_id = ?2 AND enabled = 1 " +
        "ORDER BY created_at, id",
    )
      .bind(form.tenantId, form.id)
      .all();
    for (const row of results) {
      deliveries.push([`msg_${base32(crypto.getRandomValues(new Uint8Array(16)))}`, row.id]);
    }
  }
  const statements = [insertLead(env.DB, form, id, lead, now, spamReason)];
  if (key !== null) {
    statements.push(
      env.DB.prepare(
        "INSERT INTO idempotency_keys (tenant_id, form_id, key, request_hash, lead_id, " +
          "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      ).bind(form.tenantId, form.id, key, hash, id, now),
    );
  }
  for (const [deliveryId, destinationId] of deliveries) {
    statements.push(
      env.DB.prepare(
        "INSERT INTO deliveries (tenant_id, id, lead_id, destination_id, status, " +
          "next_attempt_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5, ?5)",
      ).bind(form.tenantId, deliveryId, id, destinationId, now),
    );
  }
  try {
    await env.DB.batch(statements);
  } catch (error) {
    if (key !== null) {
      const replayed = await replay(env.DB, form, key, hash);
      if (replayed !== null) return replayed;
    }
    throw error;
  }
  if (deliveries.length > 0) {
    try {
      await env.DELIVERIES.sendBatch(
        deliveries.map(([deliveryId]) => ({
          body: { tenant_id: form.tenantId, delivery_id: deliveryId },
        })),
      );
    } catch (error) {
      console.error(`lead ${id}: queueing failed: ${error}`);
    }
  }
  return created(id);
}

async function replay(db, form, key, hash) {
  const record = await db
    .prepare(
      "SELECT request_hash, lead_id FROM idempotency_keys " +
        "WHERE tenant_id = ?1 AND form_id = ?2 AND key = ?3",
    )
    .bind(form.tenantId, form.id, key)
    .first();
  if (record === null) return null;
  if (record.request_hash !== hash) {
    throw new Refusal(
      problem(
        422,
        "idempotency_key_reused",
        "This Idempotency-Key was already used for a different submission.",
      ),
    );
  }
  const response = created(record.lead_id);
  response.headers.set(REPLAYED_HEADER, "true");
  return response;
}

async function takeLimit(namespace, key, limit) {
  const stub = namespace.get(namespace.idFromName(key));
  const response = await stub.fetch("https://limiter/take", {
    method: "POST",
    body: JSON.stringify({ limit: limit.limit, window_ms: limit.windowMs }),
  });
  const decision = await response.json();
  if (decision.decision === "limited") {
    throw new Refusal(
      problem(
        429,
        "rate_limited",
        "Too many requests. Please wait a moment and try again.",
        {},
        { "retry-after": String(decision.retry_after) },
      ),
    );
  }
}

/** null for a person's submission, else why it looks like a bot's. */
async function verdict(secret, form, submission, now) {
  if (submission.honeypot !== null && submission.honeypot.trim() !== "") return "honeypot";
  const minFill = form.settings.minFillMs;
  if (minFill === 0) return null;
  const token = submission.token ?? "";
  const dot = token.indexOf(".");
  if (dot < 0) return "no_token";
  const issuedText = token.slice(0, dot);
  if (!/^\d+$/.test(issuedText)) return "bad_token";
  const issued = Number(issuedText);
  if (token !== (await formToken(secret, form.id, issued))) return "bad_token";
  if (now < issued + minFill) return "too_fast";
  if (now > issued + MAX_TOKEN_AGE_MS) return "token_expired";
  return null;
}

function rateLimitAddress(ip) {
  const trimmed = ip.trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(trimmed)) return trimmed;
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(trimmed);
  if (mapped) return mapped[1];
  if (trimmed.includes(":")) {
    const [head, tail = ""] = trimmed.toLowerCase().split("::");
    const left = head === "" ? [] : head.split(":");
    const right = tail === "" ? [] : tail.split(":");
    const groups = [...left, ...Array(Math.max(8 - left.length - right.length, 0)).fill("0"), ...right];
    const prefix = groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16));
    return `${prefix.join(":")}::/64`;
  }
  return ip;
}

function base32(bytes) {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

function insertLead(db, form, id, lead, now, spamReason) {
  const utm = (key) => lead.context.utm[key] ?? null;
  const words = [];
  for (const name of Object.keys(lead.values)) {
    if (typeof lead.values[name] === "string") words.push(lead.values[name]);
  }
  return db
    .prepare(
      "INSERT INTO leads (tenant_id, id, form_id, fields, email, phone, consents, page_url, " +
        "referrer, utm_source, utm_medium, utm_campaign, utm_term, utm_content, created_at, spam, " +
        "spam_reason, search_text) " +
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )
    .bind(
      form.tenantId,
      id,
      form.id,
      JSON.stringify(lead.values),
      lead.email,
      lead.phone,
      JSON.stringify(lead.consents),
      lead.context.page_url,
      lead.context.referrer,
      utm("utm_source"),
      utm("utm_medium"),
      utm("utm_campaign"),
      utm("utm_term"),
      utm("utm_content"),
      now,
      spamReason === null ? 0 : 1,
      spamReason,
      words.join(" "),
    );
}

// ---- the form's rules (shared/src/{submission,text,email,phone}.rs) -------------------------------

const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const FORBIDDEN_IN_MULTI_LINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

function charCount(text) {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function bounded(text, max) {
  // A string's UTF-16 length is at least its count of characters, so most values skip the count.
  return text.length <= max || charCount(text) <= max ? { value: text } : { code: "too_long", max };
}

function singleLine(raw, max) {
  const spaced = raw.replace(/[\t\n\r]/g, " ");
  return FORBIDDEN.test(spaced) ? { code: "invalid_characters" } : bounded(spaced.trim(), max);
}

function multiLine(raw, max) {
  const unified = raw.replace(/\r\n?/g, "\n");
  return FORBIDDEN_IN_MULTI_LINE.test(unified)
    ? { code: "invalid_characters" }
    : bounded(unified.trim(), max);
}

const LOCAL_PART = /^[\p{Alphabetic}\p{N}.!#$%&'*+\-/=?^_`{|}~]+$/u;
const LABEL = /^[\p{Alphabetic}\p{N}-]+$/u;
const ALPHABETIC = /^\p{Alphabetic}+$/u;

function parseEmail(raw) {
  const address = raw.trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (charCount(address) > 254) return { code: "too_long", max: 254 };
  const at = address.lastIndexOf("@");
  if (at < 0) return { code: "email_invalid" };
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  const localOk =
    local !== "" &&
    charCount(local) <= 64 &&
    !local.startsWith(".") &&
    !local.endsWith(".") &&
    !local.includes("..") &&
    LOCAL_PART.test(local);
  const labels = domain.split(".");
  const top = labels[labels.length - 1];
  const domainOk =
    labels.length >= 2 &&
    labels.every(
      (label) =>
        label !== "" &&
        charCount(label) <= 63 &&
        !label.startsWith("-") &&
        !label.endsWith("-") &&
        LABEL.test(label),
    ) &&
    ((charCount(top) >= 2 && ALPHABETIC.test(top)) || top.startsWith("xn--"));
  return localOk && domainOk ? { value: address } : { code: "email_invalid" };
}

// Calling code and trunk prefix of each country a form may default to (shared/src/phone.rs).
const PLANS = {
  US: ["1", null], CA: ["1", null], GB: ["44", "0"], IE: ["353", "0"], AU: ["61", "0"],
  NZ: ["64", "0"], ZA: ["27", "0"], IN: ["91", "0"], SG: ["65", null], DE: ["49", "0"],
  AT: ["43", "0"], CH: ["41", "0"], FR: ["33", "0"], BE: ["32", "0"], NL: ["31", "0"],
  LU: ["352", null], ES: ["34", null], PT: ["351", null], IT: ["39", null], DK: ["45", null],
  NO: ["47", null], SE: ["46", "0"], FI: ["358", "0"], PL: ["48", null], MX: ["52", null],
  BR: ["55", "0"], JP: ["81", "0"],
};

function parsePhone(raw, country) {
  const text = raw.trim();
  if (charCount(text) > 40) return { code: "too_long", max: 40 };
  const hasPlus = text.startsWith("+");
  const body = hasPlus ? text.slice(1) : text;
  if (!/^[0-9 \-.()/\u00a0]*$/.test(body)) return { code: "phone_invalid" };
  const digits = body.replace(/[^0-9]/g, "");
  const [callingCode, trunk] = PLANS[country] ?? PLANS.US;
  const northAmerican = callingCode === "1";
  let international;
  if (hasPlus) {
    international = digits;
  } else if (digits.startsWith("00")) {
    international = digits.slice(2);
  } else if (northAmerican && digits.startsWith("011")) {
    international = digits.slice(3);
  } else {
    let national = digits;
    if (northAmerican && national.length === 11) {
      if (national.startsWith("1")) national = national.slice(1);
    } else if (trunk !== null && national.startsWith(trunk)) {
      national = national.slice(1);
    }
    international = callingCode + national;
  }
  const plausible =
    international.length >= 8 &&
    international.length <= 15 &&
    international[0] !== "0" &&
    (international[0] !== "1" ||
      (international.length === 11 && international[1] >= "2" && international[4] >= "2"));
  return plausible ? { value: `+${international}` } : { code: "phone_invalid" };
}

function asText(raw) {
  if (raw === undefined || raw === null) return { value: "" };
  if (typeof raw === "string") return { value: raw };
  if (Number.isInteger(raw)) return { value: String(raw) };
  return { code: "invalid_type" };
}

function asBool(raw) {
  if (raw === undefined || raw === null) return { value: false };
  if (typeof raw === "boolean") return { value: raw };
  if (Number.isInteger(raw)) raw = String(raw);
  if (typeof raw !== "string") return { code: "invalid_type" };
  const word = raw.trim().toLowerCase();
  if (["true", "on", "yes", "1"].includes(word)) return { value: true };
  if (["false", "off", "no", "0", ""].includes(word)) return { value: false };
  return { code: "invalid_type" };
}

/** One field's value (undefined when empty), or its error code. */
function parseValue(definition, field, raw) {
  const then = (result, next) => ("code" in result ? result : next(result.value));
  const nonEmpty = (result) => then(result, (value) => ({ value: value === "" ? undefined : value }));
  switch (field.kind) {
    case "text":
    case "hidden": {
      const max = Math.min(field.max_length, MAX_SINGLE_LINE_CHARS);
      return nonEmpty(then(asText(raw), (text) => singleLine(text, max)));
    }
    case "multi_line": {
      const max = Math.min(field.max_length, MAX_MULTI_LINE_CHARS);
      return nonEmpty(then(asText(raw), (text) => multiLine(text, max)));
    }
    case "email":
    case "phone":
    case "select": {
      const single = nonEmpty(then(asText(raw), (text) => singleLine(text, MAX_SINGLE_LINE_CHARS)));
      return then(single, (value) => {
        if (value === undefined) return { value };
        if (field.kind === "email") return parseEmail(value);
        if (field.kind === "phone") return parsePhone(value, definition.default_country);
        return field.options.includes(value) ? { value } : { code: "invalid_option" };
      });
    }
    case "checkbox":
    case "consent":
      return asBool(raw);
    default:
      return { code: "invalid_type" };
  }
}

function parseLead(definition, submission) {
  const values = {};
  const consents = [];
  const errors = [];
  let email = null;
  let phone = null;
  for (const field of definition.fields) {
    const result = parseValue(definition, field, submission.fields[field.name]);
    if ("code" in result) {
      errors.push({ field: field.name, code: result.code, ...("max" in result ? { limit: result.max } : {}) });
      continue;
    }
    const value = result.value;
    if (field.required && (value === undefined || value === false)) {
      errors.push({ field: field.name, code: field.kind === "consent" ? "consent_required" : "field_required" });
      continue;
    }
    if (value === undefined) continue;
    values[field.name] = value;
    if (field.kind === "consent") {
      consents.push({ field: field.name, text: field.text, version: field.version, given: value });
    }
    if (field.kind === "email" && email === null) email = value;
    if (field.kind === "phone" && phone === null) phone = value;
  }
  for (const name of Object.keys(submission.fields)) {
    if (!definition.fields.some((field) => field.name === name)) {
      errors.push({ field: name, code: "unknown_field" });
    }
  }
  if (errors.length > 0) {
    throw new Refusal(
      problem(422, "validation_failed", "Some fields need your attention.", { errors }),
    );
  }
  return { values: sortedByName(values), consents, email, phone, context: sanitised(submission.context) };
}

function sortedByName(values) {
  return Object.fromEntries(Object.keys(values).sort().map((name) => [name, values[name]]));
}

/** Page context cleaned and bounded, never a reason to refuse (PageContext::sanitised). */
function sanitised(context) {
  const clean = (value, max) => {
    if (value === null) return null;
    const kept = Array.from(value.replace(/[\u0000-\u001f\u007f-\u009f]/gu, "")).slice(0, max).join("").trim();
    return kept === "" ? null : kept;
  };
  const utm = {};
  for (const key of UTM_KEYS) {
    const value = key in context.utm ? clean(context.utm[key], 200) : null;
    if (value !== null) utm[key] = value;
  }
  return { page_url: clean(context.page_url, 2048), referrer: clean(context.referrer, 2048), utm };
}

// ---- the limiter ----------------------------------------------------------------------------------

/**
 * One sliding log of accepted request times per key, as Inlet's IntakeLimiter keeps it: read from
 * storage on the first request, kept in memory, written back after each allowed request.
 */
export class FloorLimiter {
  constructor(state) {
    this.state = state;
    this.log = null;
  }

  async fetch(request) {
    const { limit, window_ms: windowMs } = await request.json();
    if (this.log === null) this.log = (await this.state.storage.get("log"))?.times ?? [];
    const times = this.log;
    const now = Date.now();
    while (times.length > 0 && now - times[0] >= windowMs) times.shift();
    while (times.length > limit) times.shift();
    if (times.length < limit) {
      times.push(now);
      await this.state.storage.put("log", { times });
      return Response.json({ decision: "allowed" });
    }
    const retryAfter = Math.max(Math.ceil((times[0] + windowMs - now) / 1000), 1);
    return Response.json({ decision: "limited", retry_after: retryAfter });
  }
}
