#!/usr/bin/env node
// Validates a stream of Kubernetes objects (YAML, as `kubectl kustomize` prints it) against the Kubernetes API's
// OpenAPI schemas compiled into the npm package kubernetes-models (and the Prometheus Operator's CRD schemas from
// @kubernetes-models/prometheus-operator): types, formats, enums and required fields.
// Offline: no cluster, no download at run time. Prints one line per problem and exits 1 if there is any.
//   kubectl kustomize deploy/k8s/overlays/production | node deploy/validate/validate.js
// kubernetes-models ignores fields it does not know (a misspelt field passes here); tests/Deploy.Tests adds a strict
// parse into the official C# client's typed models, which rejects unknown fields.
"use strict";
const fs = require("fs");
const YAML = require("yaml");

// Custom resources the manifests use, by API group: the Prometheus Operator's (PrometheusRule, PodMonitor).
const crdPackages = { "monitoring.coreos.com": "@kubernetes-models/prometheus-operator" };

function modelFor(apiVersion, kind) {
  // "apps/v1" -> kubernetes-models/apps/v1, "v1" -> kubernetes-models/v1, "policy/v1" -> kubernetes-models/policy/v1;
  // "monitoring.coreos.com/v1" -> @kubernetes-models/prometheus-operator/monitoring.coreos.com/v1
  if (typeof apiVersion !== "string" || typeof kind !== "string") return undefined;
  const crd = crdPackages[apiVersion.split("/")[0]];
  let group;
  try {
    group = require(crd ? `${crd}/${apiVersion}` : `kubernetes-models/${apiVersion}`);
  } catch {
    return undefined;
  }
  return group[kind];
}

// kustomize folds long base64 values over several lines. The API server decodes them with Go's encoding/base64,
// which skips line breaks, so they are valid; the schema's "byte" format does not allow them. Remove them first.
function unfoldBase64(obj) {
  const fields = obj.kind === "Secret" ? ["data"] : obj.kind === "ConfigMap" ? ["binaryData"] : [];
  for (const field of fields) {
    const values = obj[field];
    if (values && typeof values === "object") {
      for (const key of Object.keys(values)) {
        if (typeof values[key] === "string") values[key] = values[key].replace(/[\r\n]/g, "");
      }
    }
  }
  return obj;
}

function describe(obj, index) {
  const name = obj?.metadata?.name ?? `#${index}`;
  return `${obj?.kind ?? "?"}/${name}`;
}

const text = fs.readFileSync(process.argv[2] ?? 0, "utf8");
const problems = [];
let count = 0;
YAML.parseAllDocuments(text).forEach((doc, index) => {
  if (doc.errors.length > 0) {
    problems.push(`document ${index}: not valid YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
    return;
  }
  const obj = unfoldBase64(doc.toJS() ?? {});
  if (Object.keys(obj).length === 0) return; // an empty document between separators
  count++;
  const Model = modelFor(obj.apiVersion, obj.kind);
  if (!Model) {
    problems.push(`${describe(obj, index)}: no schema for apiVersion "${obj.apiVersion}" kind "${obj.kind}"`);
    return;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    const details = Array.isArray(e.errors)
      ? e.errors.map((d) => `${d.instancePath || "/"} ${d.message}`).join("; ")
      : e.message;
    problems.push(`${describe(obj, index)}: ${details}`);
  }
});

if (count === 0) problems.push("no Kubernetes objects in the input");
for (const p of problems) console.log(p);
console.log(`${count} objects checked, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
