/*
 * Native prebuilt binaries (prebuildify's prebuilds/<platform>-<arch>/ .node files, node-gyp's
 * build/Release/ .node files, platform packages such as @esbuild/linux-x64): code compiled for one
 * platform that no rebuild here can reproduce for another. An artifact file is one only when
 * its content is an ELF, Mach-O or PE/COFF header *and* its place says prebuilt code (the
 * extension, the folder, or a package that declares os/cpu); a name alone never makes one.
 */
#include "common/common.h"

#include "common/json.h"
#include "diff/diff_int.h"

/* Reading a PE file to reach its COFF header (e_lfanew points past the entry's head). */
#define PE_READ_MAX ((size_t)256 << 20)
/* A real PE header starts within the first pages; a larger e_lfanew is not one. */
#define PE_LFANEW_MAX 0x10000u

/* A machine number and Node's name for it (process.arch). */
typedef struct machine_name {
    uint32_t id;      /* e_machine, cputype or COFF Machine */
    const char *name; /* "x64", "arm64", ... */
} machine_name;

static const machine_name elf_machines[] = {
    {3, "ia32"},  {62, "x64"},     {40, "arm"},   {183, "arm64"}, {243, "riscv64"},
    {8, "mips"},  {20, "ppc"},     {21, "ppc64"}, {22, "s390x"},  {258, "loong64"},
    {2, "sparc"}, {43, "sparcv9"}, {50, "ia64"},
};

static const machine_name macho_cpus[] = {
    {7, "ia32"},
    {0x01000007u, "x64"},
    {12, "arm"},
    {0x0100000cu, "arm64"},
    {0x0200000cu, "arm64_32"},
    {18, "ppc"},
    {0x01000012u, "ppc64"},
};

static const machine_name pe_machines[] = {
    {0x014c, "ia32"}, {0x8664, "x64"}, {0xaa64, "arm64"}, {0x01c4, "arm"}, {0x0200, "ia64"},
};

static const char *machine_lookup(const machine_name *t, size_t n, uint32_t id)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (t[i].id == id)
            return t[i].name;
    return NULL;
}

static uint32_t rd16(const unsigned char *p, int big)
{
    return big ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}

static uint32_t rd32(const unsigned char *p, int big)
{
    return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void set_arch(sg_native_info *out, const char *name, uint32_t id)
{
    if (name)
        snprintf(out->arch, sizeof(out->arch), "%s", name);
    else
        snprintf(out->arch, sizeof(out->arch), "machine 0x%x", (unsigned)id);
}

/* ELF: a valid class and byte order, then e_machine at offset 18. */
static int elf_header(sg_native_info *out, const unsigned char *p, size_t len)
{
    uint32_t m;
    int big;
    if (len < 20 ||
        memcmp(p,
               "\x7f"
               "ELF",
               4) != 0 ||
        (p[4] != 1 && p[4] != 2) || (p[5] != 1 && p[5] != 2) || p[6] != 1)
        return 0;
    big = p[5] == 2;
    m = rd16(p + 18, big);
    out->format = "ELF";
    set_arch(out, machine_lookup(elf_machines, SG_ARRAY_SIZE(elf_machines), m), m);
    return 1;
}

/* Mach-O thin (either byte order, 32/64-bit): cputype follows the magic. */
static int macho_header(sg_native_info *out, const unsigned char *p, size_t len)
{
    uint32_t magic, cpu;
    int big;
    if (len < 8)
        return 0;
    magic = rd32(p, 1);
    if (magic == 0xfeedfaceu || magic == 0xfeedfacfu)
        big = 1;
    else if (magic == 0xcefaedfeu || magic == 0xcffaedfeu)
        big = 0;
    else
        return 0;
    cpu = rd32(p + 4, big);
    out->format = "Mach-O";
    set_arch(out, machine_lookup(macho_cpus, SG_ARRAY_SIZE(macho_cpus), cpu), cpu);
    return 1;
}

/* Mach-O universal (fat, 32- or 64-bit entries, big-endian; the byte-swapped magics too).
 * 0xcafebabe is also a Java class file's magic: a fat header has few architectures where a
 * class file has its version (45 and up), the test file(1) makes. */
static int fat_header(sg_native_info *out, const unsigned char *p, size_t len)
{
    uint32_t magic, n, i;
    size_t step, used = 0;
    int big;
    if (len < 8)
        return 0;
    magic = rd32(p, 1);
    big = magic == 0xcafebabeu || magic == 0xcafebabfu;
    if (!big && magic != 0xbebafecau && magic != 0xbfbafecau)
        return 0;
    step = (magic == 0xcafebabfu || magic == 0xbfbafecau) ? 32 : 20;
    n = rd32(p + 4, big);
    if (n == 0 || n >= 20)
        return 0;
    out->format = "Mach-O universal";
    for (i = 0; i < n && 8 + i * step + 4 <= len; i++) {
        uint32_t cpu = rd32(p + 8 + i * step, big);
        const char *name = machine_lookup(macho_cpus, SG_ARRAY_SIZE(macho_cpus), cpu);
        char one[24];
        if (name)
            snprintf(one, sizeof(one), "%s", name);
        else
            snprintf(one, sizeof(one), "cpu 0x%x", (unsigned)cpu);
        if (used + strlen(one) + 4 >= sizeof(out->arch))
            break;
        used += (size_t)snprintf(out->arch + used, sizeof(out->arch) - used, "%s%s",
                                 used ? "+" : "", one);
    }
    return 1;
}

/* PE/COFF: "MZ", e_lfanew at 0x3c, "PE\0\0" there, then the COFF Machine. */
static int pe_header(sg_native_info *out, const unsigned char *p, size_t len)
{
    uint32_t off, m;
    if (len < 0x40 || p[0] != 'M' || p[1] != 'Z')
        return 0;
    off = rd32(p + 0x3c, 0);
    if (off < 0x40 || off > PE_LFANEW_MAX || (size_t)off + 6 > len ||
        memcmp(p + off, "PE\0\0", 4) != 0)
        return 0;
    m = rd16(p + off + 4, 0);
    out->format = "PE";
    set_arch(out, machine_lookup(pe_machines, SG_ARRAY_SIZE(pe_machines), m), m);
    return 1;
}

int sg_diff__native_header(sg_native_info *out, const unsigned char *p, size_t len)
{
    memset(out, 0, sizeof(*out));
    if (!p)
        return 0;
    return elf_header(out, p, len) || macho_header(out, p, len) || fat_header(out, p, len) ||
           pe_header(out, p, len);
}

/* 1 when a path segment equals seg. */
static int has_segment(const char *path, const char *seg)
{
    size_t n = strlen(seg);
    const char *p = path;
    while ((p = strstr(p, seg)) != NULL) {
        if ((p == path || p[-1] == '/') && p[n] == '/')
            return 1;
        p += n;
    }
    return 0;
}

/* Names a platform package gives its native libraries and executables. */
static int native_ext(const char *path)
{
    static const char *const exts[] = {".node", ".exe", ".dll", ".so", ".dylib"};
    const char *base = sg_path_basename(path);
    char ext[16];
    size_t i;
    sg_path_extname_lower(ext, sizeof(ext), path);
    for (i = 0; i < SG_ARRAY_SIZE(exts); i++)
        if (strcmp(ext, exts[i]) == 0)
            return 1;
    return strstr(base, ".so.") != NULL; /* libfoo.so.1.2 */
}

int sg_diff__native_place(const char *path, int exec, int bin_target, int platform_pkg)
{
    char ext[16];
    sg_path_extname_lower(ext, sizeof(ext), path);
    if (strcmp(ext, ".node") == 0 || has_segment(path, "prebuilds") ||
        strncmp(path, "build/Release/", 14) == 0)
        return 1;
    return platform_pkg && (exec || bin_target || native_ext(path));
}

/* 1 when member key of doc is a non-empty string or array. */
static int nonempty(const cJSON *doc, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    return (cJSON_IsString(v) && v->valuestring[0]) || (cJSON_IsArray(v) && v->child);
}

int sg_diff__platform_package(int *out, sg_ctx *ctx, const sg_tree *artifact)
{
    const sg_entry *e = sg_tree_find(artifact, "package.json");
    sg_buf b = SG_BUF_INIT;
    cJSON *doc = NULL;
    int error = 0;

    *out = 0;
    if (!e || e->kind != SG_ENTRY_FILE)
        return 0;
    sg_buf_init(&b, (size_t)sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE));
    if ((error = sg_tree_read(&b, ctx, artifact, e)) < 0)
        goto done;
    /* The manifest diff already reported a package.json it could not parse. */
    if (sg_json_parse(&doc, ctx, b.ptr, b.size, "package.json in the artifact") < 0) {
        sg_error_clear(ctx);
        goto done;
    }
    *out = cJSON_IsObject(doc) && (nonempty(doc, "os") || nonempty(doc, "cpu"));
done:
    cJSON_Delete(doc);
    sg_buf_dispose(&b);
    return error;
}

/* The header of e, reading past its head when a PE's COFF header lies beyond it. */
static int read_header(int *out, sg_native_info *info, sg_ctx *ctx, const sg_tree *tree,
                       const sg_entry *e)
{
    size_t head = e->size < SG_ENTRY_HEAD ? (size_t)e->size : SG_ENTRY_HEAD;
    sg_buf b = SG_BUF_INIT;
    int error = 0;

    *out = sg_diff__native_header(info, e->head, head);
    if (*out || head < 0x40 || e->head[0] != 'M' || e->head[1] != 'Z' || e->size > PE_READ_MAX)
        return 0;
    sg_buf_init(&b, PE_READ_MAX);
    if ((error = sg_tree_read(&b, ctx, tree, e)) == 0)
        *out = sg_diff__native_header(info, (const unsigned char *)b.ptr, b.size);
    sg_buf_dispose(&b);
    return error;
}

int sg_diff__native_detail(int *out, char *detail, size_t detail_size, sg_ctx *ctx,
                           const sg_tree *tree, const sg_entry *e, int bin_target, int platform_pkg)
{
    sg_native_info info;
    int error;

    *out = 0;
    if (e->kind != SG_ENTRY_FILE ||
        !sg_diff__native_place(e->path, e->exec ? 1 : 0, bin_target, platform_pkg))
        return 0;
    if ((error = read_header(out, &info, ctx, tree, e)) < 0 || !*out)
        return error;
    snprintf(detail, detail_size,
             "a prebuilt native binary (%s, %s) the source does not hold: sourcegate does not "
             "rebuild native code (node-gyp is not run, not even for this platform), so it is "
             "not verified",
             info.format, info.arch[0] ? info.arch : "architecture unknown");
    return 0;
}
