#!/bin/sh
# Verify a staged publish before anyone approves it (docs/staged-publishing.md). The steps of
# docs/stage-workflow.yml; tests/integration/test_stage.c runs this very file against a
# loopback registry.
#
# usage: stage-verify.sh STAGE_ID COMMIT [NAME@VERSION]
#   STAGE_ID      the id `npm stage publish` printed (a UUID)
#   COMMIT        the commit CI built and staged from (verified with --ref)
#   NAME@VERSION  optional: refuse a stage that holds another package or version
# environment:
#   SOURCEGATE       the program (default: sourcegate on PATH)
#   SOURCEGATE_KEY   a signing key (sourcegate keygen): also write the attestation
#   SOURCEGATE_OPTS  extra options, split on spaces (--registry URL, --git-rewrite FROM=TO, ...)
#   OUT              folder for sourcegate-report.json and sourcegate.intoto.jsonl (default .)
# The registry auth is the user's .npmrc, as for npm itself.
# Exit code: sourcegate's (0 pass, 1 fail, 2 bad input, 3 inconclusive, 4 operational error).
set -u
if [ $# -lt 2 ]; then
    echo "usage: stage-verify.sh STAGE_ID COMMIT [NAME@VERSION]" >&2
    exit 2
fi
id=$1
commit=$2
out=${OUT:-.}
set -- verify ${3:+"$3"} --stage "$id" --ref "$commit" --format json -o "$out/sourcegate-report.json"
if [ -n "${SOURCEGATE_KEY:-}" ]; then
    set -- "$@" --attest "$out/sourcegate.intoto.jsonl" --key "$SOURCEGATE_KEY"
fi
# shellcheck disable=SC2086 # SOURCEGATE_OPTS is a list of options
"${SOURCEGATE:-sourcegate}" "$@" ${SOURCEGATE_OPTS:-}
rc=$?
case $rc in
0) echo "sourcegate: stage $id PASSED; approve it with: npm stage approve $id" ;;
1) echo "sourcegate: stage $id FAILED; do not approve it (npm stage reject $id)" >&2 ;;
3) echo "sourcegate: stage $id INCONCLUSIVE; not approved automatically" >&2 ;;
4) echo "sourcegate: stage $id could not be verified (network, registry auth, disk); retry" >&2 ;;
*) echo "sourcegate: stage $id: bad input (exit $rc)" >&2 ;;
esac
exit $rc
