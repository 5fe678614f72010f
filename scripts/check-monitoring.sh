#!/usr/bin/env bash
# Checks the monitoring files against Prometheus's own tool, promtool (Debian's `prometheus`
# package; scripts/install-deps.sh --test installs it):
#   - deploy/prometheus/alerts.yaml is valid (`promtool check rules`) and its unit tests in
#     alerts.test.yaml pass (`promtool test rules`);
#   - deploy/grafana/rebind.json is valid JSON, and every query in it is valid PromQL: each
#     panel's `expr`, with Grafana's variables replaced by sample values, is written into a
#     temporary rules file as a recording rule and checked with `promtool check rules`;
#   - every rebind_* metric the two files use is one the service defines (a name in Sources/,
#     written whole or as a MetricNameDescriptor's parts),
#     so a renamed metric cannot leave a dashboard or an alert silently empty.
# Takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

# Metrics the dashboard and alerts may use before the service defines them (issue 14 adds
# them). Remove a name once Sources/ defines it.
PENDING_METRICS=""

command -v promtool >/dev/null || { echo "promtool is missing: scripts/install-deps.sh --test installs Debian's prometheus" >&2; exit 1; }

promtool check rules deploy/prometheus/alerts.yaml
promtool test rules deploy/prometheus/alerts.test.yaml

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The dashboard's queries as recording rules; the used metric names beside them.
python3 - deploy/grafana/rebind.json deploy/prometheus/alerts.yaml "$work/dashboard-rules.yaml" "$work/metrics" <<'PY'
import json, re, sys

dashboard_path, alerts_path, rules_path, metrics_path = sys.argv[1:]
with open(dashboard_path) as f:
    dashboard = json.load(f)  # fails loudly on invalid JSON

# Sample values for Grafana's variables, enough to parse the query.
variables = {"__rate_interval": "5m", "__interval": "1m", "__range": "1d", "job": "rebind"}

def substitute(expr):
    def value(match):
        name = match.group(1) or match.group(2)
        if name not in variables:
            sys.exit(f"{dashboard_path}: unknown variable ${name} in: {expr}")
        return variables[name]
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, expr)

def panels(items):
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))

exprs = []
for panel in panels(dashboard.get("panels", [])):
    for target in panel.get("targets", []):
        if target.get("expr"):
            exprs.append((panel.get("title", "?"), target.get("refId", "?"), target["expr"]))
if not exprs:
    sys.exit(f"{dashboard_path}: no queries found")

with open(rules_path, "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for number, (title, ref, expr) in enumerate(exprs):
        f.write(f"      # {title} ({ref})\n")
        f.write(f"      - record: dashboard:query_{number}\n")
        f.write(f"        expr: {json.dumps(substitute(expr))}\n")

with open(alerts_path) as f:
    alerts = f.read()
names = set(re.findall(r"\brebind_[a-z_]+", " ".join(e for _, _, e in exprs) + alerts))
with open(metrics_path, "w") as f:
    for name in sorted(names):
        f.write(re.sub(r"_(bucket|sum|count)$", "", name) + "\n")
print(f"{len(exprs)} dashboard queries", file=sys.stderr)
PY
promtool check rules "$work/dashboard-rules.yaml"

# Names written whole, and names a MetricNameDescriptor puts together from its parts
# (namespace_subsystem_metricName_unitName, as swift-prometheus joins them).
defined=$({
  grep -rhoE '"rebind_[a-z_]+"' Sources | tr -d '"'
  python3 - <<'PY'
import pathlib, re
part = lambda label, text: (re.search(label + r':\s*"([a-z_]*)"', text) or [None, ""])[1]
for path in pathlib.Path("Sources").rglob("*.swift"):
    for block in re.findall(r"MetricNameDescriptor\((.*?)\)", path.read_text(), re.S):
        print("_".join(p for p in (part("namespace", block), part("subsystem", block), part("metricName", block), part("unitName", block)) if p))
PY
} | sort -u)
missing=0
for metric in $(sort -u "$work/metrics"); do
  if ! grep -qx "$metric" <<<"$defined" && ! grep -qw "$metric" <<<"$PENDING_METRICS"; then
    echo "metric $metric is used by the dashboard or the alerts but not defined in Sources/" >&2
    missing=1
  fi
done
[[ $missing -eq 0 ]]
echo "monitoring: alert rules, their tests and the dashboard's $(grep -c 'record:' "$work/dashboard-rules.yaml") queries are valid" >&2
