// Holds sealsvc serve to its OpenAPI document (docs/openapi.json), with tools that are not
// ours: @readme/openapi-parser validates the document itself (OpenAPI 3.1), and Ajv
// validates each captured response's JSON body against the schema the document gives for
// that route, status and media type. tests/integration/openapi_responses.sh captures the
// responses (DIR/NAME.meta.json: method, path, status, content_type; DIR/NAME.body).
//
//   node validate.mjs OPENAPI.json DIR
//
// Fails (exit 1) naming every response the document does not describe or whose body does
// not match, and every operation of the document no captured 2xx response exercised.
import OpenAPIParser from "@readme/openapi-parser";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import fs from "node:fs";
import path from "node:path";

const [docPath, dir] = process.argv.slice(2);
if (!docPath || !dir) {
  console.error("usage: node validate.mjs OPENAPI.json DIR");
  process.exit(64);
}
const problems = [];
const raw = JSON.parse(fs.readFileSync(docPath, "utf8"));
try {
  await OpenAPIParser.validate(structuredClone(raw));
} catch (e) {
  console.error(`${docPath} is not a valid OpenAPI document: ${e.message}`);
  process.exit(1);
}
const doc = await OpenAPIParser.dereference(structuredClone(raw));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

// "/api/v1/seals/{id}" -> /^\/api\/v1\/seals\/[^/]+$/; a last {rest} takes the remainder,
// slashes included, as the router's does ("/web/{rest}": /web/verify/verify.js)
const operations = [];
for (const [template, item] of Object.entries(doc.paths)) {
  const re = new RegExp(
    "^" +
      template
        .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
        .replace(/\{rest\}$/, ".+")
        .replace(/\\?\{[^}]+\\?\}/g, "[^/]+") +
      "$"
  );
  for (const method of ["get", "post", "put", "delete", "patch"]) {
    if (item[method]) operations.push({ template, re, method, op: item[method], seen2xx: false });
  }
}

const media = (ct) => (ct || "").split(";")[0].trim().toLowerCase();
let checked = 0;
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".meta.json")).sort()) {
  const name = file.slice(0, -".meta.json".length);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
  const where = `${name}: ${meta.method} ${meta.path} -> ${meta.status}`;
  const pathOnly = meta.path.split("?")[0];
  const found = operations.find((o) => o.method === meta.method.toLowerCase() && o.re.test(pathOnly));
  if (!found) {
    problems.push(`${where}: the document has no such operation`);
    continue;
  }
  const responses = found.op.responses || {};
  const spec = responses[String(meta.status)] || responses[`${String(meta.status)[0]}XX`] || responses.default;
  if (!spec) {
    problems.push(`${where}: the document lists no ${meta.status} answer for this operation`);
    continue;
  }
  if (meta.status >= 200 && meta.status < 300) found.seen2xx = true;
  const content = spec.content || {};
  const type = media(meta.content_type);
  if (Object.keys(content).length === 0) {
    checked++;
    continue;
  }
  const mt = content[type] || content["*/*"];
  if (!mt) {
    problems.push(`${where}: answered ${type || "no Content-Type"}, the document says ${Object.keys(content).join(", ")}`);
    continue;
  }
  const body = fs.readFileSync(path.join(dir, `${name}.body`));
  if (type.endsWith("json")) {
    let value;
    try {
      value = JSON.parse(body.toString("utf8"));
    } catch (e) {
      problems.push(`${where}: the body is not JSON (${e.message})`);
      continue;
    }
    if (mt.schema) {
      const validate = ajv.compile(mt.schema);
      if (!validate(value))
        problems.push(`${where}: the body does not match the schema: ${ajv.errorsText(validate.errors)}`);
    }
  } else if (body.length === 0) {
    problems.push(`${where}: an empty ${type} body`);
  }
  checked++;
}
for (const o of operations)
  if (!o.seen2xx) problems.push(`${o.method.toUpperCase()} ${o.template}: no successful answer was captured to check`);
if (problems.length) {
  console.error(problems.join("\n"));
  console.error(`${problems.length} problem(s); ${checked} response(s) matched the document`);
  process.exit(1);
}
console.log(`${docPath}: a valid OpenAPI document; ${checked} response(s) match it; every operation answered`);
