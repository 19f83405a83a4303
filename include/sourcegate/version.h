/*
 * sourcegate: the library's version.
 */
#ifndef SOURCEGATE_VERSION_H
#define SOURCEGATE_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

/** Library version, "MAJOR.MINOR.PATCH". */
const char *sg_version(void);

#ifdef __cplusplus
}
#endif
#endif
