/*
 * A tar stream written block by block, for tests of header sequences that no archiver writes
 * (the npm tar view, the differential test against npm's extractor).
 */
#ifndef SGT_TAR_BLOCKS_H
#define SGT_TAR_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sgt_tb {
    unsigned char *p; /* the stream (malloc'd) */
    size_t len;       /* bytes used */
    size_t cap;       /* allocated */
} sgt_tb;

/** Append n zeroed 512-byte blocks; the first of them. */
unsigned char *sgt_tb_blocks(sgt_tb *t, size_t n);

/** A numeric field as node-tar writes it: zero-padded octal digits, a space, a NUL. */
void sgt_tb_octal(unsigned char *field, size_t width, uint64_t v);

/** The header's checksum (unsigned byte sum with the field as spaces), in node-tar's encoding. */
void sgt_tb_seal(unsigned char *h);

/** Append len bytes of body, padded to whole blocks (nothing for 0). */
void sgt_tb_body(sgt_tb *t, const void *data, size_t len);

void sgt_tb_free(sgt_tb *t);

#endif
