#!/usr/bin/env bash
# schemathesis, an API tester independent of hush, against the real `hush-server` binary and
# its own description (GET /v2/openapi.json, docs/openapi.json), with a real session
# (docs/server.md, "Tests"). It generates requests from the description, valid ones and
# deliberately invalid ones, and checks every answer:
#   not_a_server_error          no 5xx that is a bug (a 500, or any 5xx not declared)
#   status_code_conformance     every status is one the operation declares
#   content_type_conformance    every answer has a content type the operation declares
#   response_headers_conformance  declared headers (Retry-After) are there and well-formed
#   response_schema_conformance every body matches its declared schema
#   negative_data_rejection     a request the description forbids is refused with a 4xx
#   unsupported_method          a method a path does not list is answered 405
#   ignored_auth                an operation that needs a session refuses a request without one
#
# Usage: server/schemathesis/run.sh   (from anywhere; builds hush-server if needed)
#   HUSH_SCHEMATHESIS_EXAMPLES=N  test cases per operation and phase (default 25: about two minutes)
#   HUSH_SCHEMATHESIS_SEED=N      reproduce a run (default: random, printed by schemathesis)
#   HUSH_SERVER_BIN=PATH          the binary to test (default: `cargo build -p hush-server`'s)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

# Pinned: a newer schemathesis may add checks or change how it reads a description; moving to
# it is a deliberate change. cryptography signs the login challenge (session.py).
SCHEMATHESIS_VERSION=4.32.5
CRYPTOGRAPHY_VERSION=48.0.0
examples=${HUSH_SCHEMATHESIS_EXAMPLES:-25}
seed=()
if [ -n "${HUSH_SCHEMATHESIS_SEED:-}" ]; then seed=(--seed "$HUSH_SCHEMATHESIS_SEED"); fi

if ! python3 -c "import sys, importlib.metadata as m; sys.exit(m.version('schemathesis') != '$SCHEMATHESIS_VERSION' or m.version('cryptography') != '$CRYPTOGRAPHY_VERSION')" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION" "cryptography==$CRYPTOGRAPHY_VERSION"
fi
server=${HUSH_SERVER_BIN:-}
if [ -z "$server" ]; then
    cargo build --quiet --locked -p hush-server
    server=target/debug/hush-server
fi

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Open registration, so that schemathesis can register accounts too; default limits otherwise.
# The output file exists before the server starts: the shell opens it in the background job,
# and the loop below must not race it.
: > "$work/stdout"
"$server" serve --listen 127.0.0.1:0 --data-dir "$work/data" --open-registration \
    > "$work/stdout" 2> "$work/server.log" &
server_pid=$!
address=
for _ in $(seq 1 300); do
    address=$(sed -n 's/^listening on //p' "$work/stdout")
    [ -n "$address" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "hush-server did not start" >&2; exit 1; }
    sleep 0.1
done
[ -n "$address" ] || { echo "hush-server did not say where it listens" >&2; exit 1; }
base="http://$address"
python3 server/schemathesis/session.py "$base" > "$work/session"
HUSH_SCHEMATHESIS_ACCOUNT=$(sed -n 1p "$work/session")
HUSH_SCHEMATHESIS_TOKEN=$(sed -n 2p "$work/session")
export HUSH_SCHEMATHESIS_ACCOUNT HUSH_SCHEMATHESIS_TOKEN

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance
checks+=,response_schema_conformance,negative_data_rejection,unsupported_method,ignored_auth
run() {
    # The coverage phase (every operation, with values at and beyond each bound of the
    # description) and the fuzzing phase (random valid and invalid requests). The stateful phase,
    # which chains operations, takes several minutes here for no more coverage of this small API.
    # Hypothesis's `filter_too_much` health check fails a run, depending on the seed, when the
    # account id's UUID pattern and the keyset's bounds make it discard many drafts of a
    # registration: that is a limit of the generator, not a finding about the server.
    # From the scratch folder: schemathesis keeps a cache (.schemathesis/) in the current one.
    (cd "$work" && st --config-file "$repo/server/schemathesis/schemathesis.toml" --no-color \
        run "$base/v2/openapi.json" \
        --checks "$checks" --phases coverage,fuzzing --max-examples "$examples" \
        --suppress-health-check filter_too_much "${seed[@]}" "$@")
}
# Logging out ends the session every other operation uses, so it runs last, on its own.
run --exclude-operation-id delete_current_session
run --include-operation-id delete_current_session

kill "$server_pid"
wait "$server_pid" || true
server_pid=
if grep -q "panicked" "$work/server.log"; then
    grep -B2 -A8 "panicked" "$work/server.log" >&2
    echo "hush-server panicked during the run" >&2
    exit 1
fi
echo "schemathesis: the API conforms to docs/openapi.json"
