#include "common/common.h"

#include "sourcegate/report.h"

/* The closed set of finding kinds (DESIGN.md "Finding kinds", docs/finding-kinds.md).
 * Severities are defaults; a finding may carry another (e.g. file-added for docs is low). */
static const sg_finding_kind kinds[] = {
    {"integrity-mismatch", SG_SEV_CRITICAL,
     "downloaded bytes do not match dist.integrity / shasum"},
    {"stage-integrity", SG_SEV_CRITICAL,
     "a staged tarball does not match its stage record's shasum / integrity"},
    {"signature-invalid", SG_SEV_CRITICAL, "registry signature does not verify"},
    {"signature-missing", SG_SEV_MEDIUM,
     "the registry publishes signing keys but this release carries no signature"},
    {"provenance-invalid", SG_SEV_CRITICAL,
     "provenance attestation does not verify, or its subject is another artifact"},
    {"provenance-source-mismatch", SG_SEV_CRITICAL,
     "provenance names a different repository or commit than the one verified"},
    {"provenance-regression", SG_SEV_HIGH,
     "earlier releases had provenance or a trusted publisher; this one does not"},
    {"manifest-mismatch", SG_SEV_HIGH,
     "the registry's metadata for the version differs from the package.json in the tarball"},
    {"ref-unresolved", SG_SEV_HIGH, "no commit found for this version"},
    {"ref-mismatch", SG_SEV_HIGH, "gitHead, tag and provenance disagree about the commit"},
    {"ref-unreachable", SG_SEV_MEDIUM, "the commit is not reachable from any branch or tag"},
    {"source-missing", SG_SEV_HIGH, "no repository, or it cannot be read"},
    {"dependency-added", SG_SEV_CRITICAL, "a dependency in the artifact's manifest, not the source's"},
    {"dependency-changed", SG_SEV_MEDIUM, "a dependency's range or spec differs"},
    {"dependency-removed", SG_SEV_INFO, "a dependency of the source is absent from the artifact"},
    {"script-added", SG_SEV_HIGH, "a script in the artifact's manifest, not the source's"},
    {"script-changed", SG_SEV_HIGH, "a script differs between source and artifact"},
    {"script-removed", SG_SEV_INFO, "a script of the source is absent from the artifact"},
    {"bin-added", SG_SEV_HIGH, "an executable entry in the artifact, not the source"},
    {"bin-changed", SG_SEV_HIGH, "an executable entry points elsewhere"},
    {"entry-changed", SG_SEV_MEDIUM, "main, module, exports, browser or types differ"},
    {"field-changed", SG_SEV_INFO, "another manifest field differs"},
    {"file-added", SG_SEV_HIGH, "a file in the artifact that the source does not explain"},
    {"file-modified", SG_SEV_HIGH, "a file whose bytes differ from the source's"},
    {"file-missing", SG_SEV_INFO, "a file npm would pack from the source is not in the artifact"},
    {"file-unverified", SG_SEV_MEDIUM, "a generated file that was not rebuilt or not reproduced"},
    {"mode-changed", SG_SEV_MEDIUM, "the executable bit differs"},
    {"duplicate-entry", SG_SEV_HIGH, "the tarball holds two entries for one path with different bytes"},
    {"tar-ambiguous", SG_SEV_HIGH,
     "tar readers disagree on the archive: npm's installer would write other files or bytes "
     "than the archive reader sees"},
    {"unsafe-entry", SG_SEV_HIGH,
     "a tar entry that leaves the package root or is a device, FIFO or otherwise not a file"},
    {"link-entry", SG_SEV_MEDIUM, "a symbolic or hard link entry in the tarball"},
    {"case-collision", SG_SEV_MEDIUM, "two tarball paths that differ only by letter case"},
};

const sg_finding_kind *sg_finding_kind_lookup(const char *kind)
{
    size_t i;
    if (!kind)
        return NULL;
    for (i = 0; i < SG_ARRAY_SIZE(kinds); i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return &kinds[i];
    return NULL;
}

const sg_finding_kind *sg_finding_kinds(size_t *count)
{
    *count = SG_ARRAY_SIZE(kinds);
    return kinds;
}

/* Kinds that say the comparison could not be made; in byte order (the policy document). */
static const char *const inconclusive_kinds[] = {"file-unverified", "ref-unresolved",
                                                 "source-missing"};

const char *const *sg_finding_kinds_inconclusive(size_t *count)
{
    *count = SG_ARRAY_SIZE(inconclusive_kinds);
    return inconclusive_kinds;
}

static const char *const severity_names[] = {"info", "low", "medium", "high", "critical"};

const char *sg_severity_name(sg_severity sev)
{
    return (unsigned)sev < SG_ARRAY_SIZE(severity_names) ? severity_names[sev] : "unknown";
}

int sg_severity_parse(sg_severity *out, const char *name)
{
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(severity_names); i++) {
        if (sg_strcasecmp(name, severity_names[i]) == 0) {
            *out = (sg_severity)i;
            return 0;
        }
    }
    return SG_EINVALID;
}

const char *sg_verdict_name(sg_verdict verdict)
{
    switch (verdict) {
    case SG_VERDICT_PASS: return "pass";
    case SG_VERDICT_FAIL: return "fail";
    case SG_VERDICT_INCONCLUSIVE: return "inconclusive";
    }
    return "unknown";
}
