#!/usr/bin/env bash
# Latency of reading one password from a 10,000-item vault (issue #4's target: hush
# under 10 ms median with the agent), side by side with `pass show` (gpg with a
# passphrase-less key and a warm gpg-agent) and `keepassxc-cli show`, on the same
# entries. Not a test: a measurement for docs/benchmarks.md.
#
#   bench/get-latency.sh            build, set up, measure, print the medians
#   ITEMS=1000 bench/get-latency.sh a smaller store for a quick look
#
# Needs hyperfine, pass, gnupg, keepassxc (installed with apt-get when missing and
# running as root) and python3 (to write the test data). Everything lives in a
# temporary folder that is removed at the end; the hush agent is locked and the
# temporary gpg-agent stopped.
set -euo pipefail

ITEMS=${ITEMS:-10000}
RUNS=${RUNS:-200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

need() { # need COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 && return
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== installing $2" >&2
        apt-get install -y -qq "$2" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }
    else
        echo "missing $1: install the $2 package" >&2
        exit 1
    fi
}
need hyperfine hyperfine
need pass pass
need gpg gnupg
need keepassxc-cli keepassxc
need python3 python3

echo "== building hush (release)" >&2
cargo build --release --quiet -p hush-cli --manifest-path "$ROOT/Cargo.toml"
HUSH="$ROOT/target/release/hush"

WORK=$(mktemp -d)
export HUSH_HOME="$WORK/hush" XDG_RUNTIME_DIR="$WORK/run"
export GNUPGHOME="$WORK/gnupg" PASSWORD_STORE_DIR="$WORK/pass"
export QT_QPA_PLATFORM=offscreen # keepassxc-cli needs no display
mkdir -p "$XDG_RUNTIME_DIR" "$GNUPGHOME" && chmod 700 "$XDG_RUNTIME_DIR" "$GNUPGHOME"
cleanup() {
    "$HUSH" lock >/dev/null 2>&1 || true
    HUSH_HOME="$WORK/hush-small" "$HUSH" lock >/dev/null 2>&1 || true
    gpgconf --kill gpg-agent >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The same entries for all three: site-00000 … with random 24-character passwords.
echo "== generating $ITEMS entries" >&2
python3 - "$WORK" "$ITEMS" <<'EOF'
import base64, csv, os, secrets, string, sys
from xml.sax.saxutils import escape
work, n = sys.argv[1], int(sys.argv[2])
alphabet = string.ascii_letters + string.digits
rows = []
for i in range(n):
    pw = "".join(secrets.choice(alphabet) for _ in range(24))
    rows.append((f"site-{i:05d}", f"user{i}@example.com", pw, f"https://site-{i:05d}.example"))
with open(os.path.join(work, "entries.csv"), "w", newline="") as f:
    w = csv.writer(f, quoting=csv.QUOTE_ALL)
    w.writerow(["Group", "Title", "Username", "Password", "URL", "Notes", "TOTP", "Icon", "Last Modified", "Created"])
    for t, u, p, url in rows:
        w.writerow(["Root", t, u, p, url, "", "", "0", "", ""])
uuid = lambda: base64.b64encode(secrets.token_bytes(16)).decode()
with open(os.path.join(work, "entries.xml"), "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<KeePassFile><Meta><Generator>hush-bench</Generator>'
            '<DatabaseName>bench</DatabaseName></Meta><Root><Group>'
            f'<UUID>{uuid()}</UUID><Name>Root</Name>\n')
    for t, u, p, url in rows:
        f.write(f'<Entry><UUID>{uuid()}</UUID>'
                f'<String><Key>Title</Key><Value>{escape(t)}</Value></String>'
                f'<String><Key>UserName</Key><Value>{escape(u)}</Value></String>'
                f'<String><Key>Password</Key><Value ProtectInMemory="True">{escape(p)}</Value></String>'
                f'<String><Key>URL</Key><Value>{escape(url)}</Value></String></Entry>\n')
    f.write('</Group></Root></KeePassFile>\n')
with open(os.path.join(work, "entries.tsv"), "w") as f:
    for t, u, p, url in rows:
        f.write(f"{t}\t{p}\n")
EOF
QUERY=$(printf 'site-%05d' $((ITEMS / 2)))
EXPECTED=$(awk -F'\t' -v q="$QUERY" '$1 == q { print $2 }' "$WORK/entries.tsv")

# hush: default KDF parameters (Argon2id 256 MiB, t=3, p=4), unlocked once.
echo "== hush: init, unlock, import" >&2
printf 'rubble quarry tinsel orchid plaza marrow\n' >"$WORK/master"
chmod 600 "$WORK/master"
"$HUSH" --password-file "$WORK/master" init >/dev/null 2>&1
"$HUSH" --password-file "$WORK/master" unlock
if "$HUSH" import --help >/dev/null 2>&1; then
    "$HUSH" import --from keepassxc-csv "$WORK/entries.csv" >/dev/null
else
    # No importer in this build: one `hush add` per entry, through the agent.
    while IFS=$'\t' read -r name pw; do
        printf '%s\n' "$pw" | "$HUSH" add "$name" --password-stdin >/dev/null 2>&1
    done <"$WORK/entries.tsv"
fi
test "$("$HUSH" get "$QUERY" --field password)" = "$EXPECTED"

# Reference points that separate the agent's cost from the vault's size: a one-item
# vault through its own agent, and bare process start (`--version`).
SMALL="$WORK/hush-small"
HUSH_HOME="$SMALL" "$HUSH" --password-file "$WORK/master" init >/dev/null 2>&1
HUSH_HOME="$SMALL" "$HUSH" --password-file "$WORK/master" unlock 2>/dev/null
printf '%s\n' "$EXPECTED" | HUSH_HOME="$SMALL" "$HUSH" add "$QUERY" --password-stdin >/dev/null 2>&1

# pass: a passphrase-less key, so the comparison measures pass and gpg, not a prompt.
echo "== pass: key, store of $ITEMS entries" >&2
gpg --batch --quiet --passphrase '' --quick-gen-key 'hush bench <bench@hush.invalid>' default default never 2>/dev/null
KEY=$(gpg --list-keys --with-colons bench@hush.invalid | awk -F: '/^fpr/ { print $10; exit }')
pass init "$KEY" >/dev/null
while IFS=$'\t' read -r name pw; do
    printf '%s\n' "$pw" | gpg --batch --quiet --yes --trust-model always -e -r "$KEY" -o "$PASSWORD_STORE_DIR/$name.gpg"
done <"$WORK/entries.tsv"
test "$(pass show "$QUERY")" = "$EXPECTED" # also warms gpg-agent

# KeePassXC: a key file and no password (nothing to type), its fastest KDF setting.
echo "== keepassxc: database of $ITEMS entries" >&2
KDBX="$WORK/bench.kdbx"
keepassxc-cli import -q --set-key-file "$WORK/bench.keyx" -t 100 "$WORK/entries.xml" "$KDBX" >/dev/null 2>&1 </dev/null ||
    keepassxc-cli import -q --set-key-file "$WORK/bench.keyx" "$WORK/entries.xml" "$KDBX" </dev/null
KPX=(keepassxc-cli show -q --no-password -k "$WORK/bench.keyx" "$KDBX" "$QUERY" -a password)
test "$("${KPX[@]}" 2>/dev/null)" = "$EXPECTED"

echo "== measuring ($RUNS runs each; hush without the agent: 10)" >&2
cd "$WORK"
hyperfine -N --warmup 10 --runs "$RUNS" --export-json agent.json \
    -n "hush get (agent)" "$HUSH get $QUERY --field password" \
    -n "pass show" "pass show $QUERY" >&2
(
    export HUSH_HOME="$SMALL"
    hyperfine -N --warmup 10 --runs "$RUNS" --export-json small.json \
        -n "hush get, 1-item vault (agent)" "$HUSH get $QUERY --field password" \
        -n "hush --version (process start)" "$HUSH --version" >&2
)
hyperfine -N --warmup 2 --runs 20 --export-json kpx.json \
    -n "keepassxc-cli show" "${KPX[*]}" >&2
hyperfine -N --warmup 1 --runs 10 --export-json noagent.json \
    -n "hush get (no agent: KDF)" "$HUSH --no-agent --password-file $WORK/master get $QUERY --field password" >&2

python3 - "$ITEMS" agent.json kpx.json noagent.json small.json <<'EOF'
import json, sys
print(f"\nMedian latency of reading one password from {sys.argv[1]} entries:\n")
print(f"| {'command':<32} | {'median':>10} | {'mean ± σ':>20} |")
print(f"|{'-'*34}|{'-'*12}|{'-'*22}|")
for path in sys.argv[2:]:
    for r in json.load(open(path))["results"]:
        med, mean, sd = r["median"] * 1e3, r["mean"] * 1e3, r["stddev"] * 1e3
        print(f"| {r['command']:<32} | {med:>7.1f} ms | {mean:>8.1f} ± {sd:>5.1f} ms |")
EOF
