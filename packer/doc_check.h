/*
 * doc_check.h - is an XML document whole and well-formed?
 *
 * `csvpack-packer --dir SRC` packs documents that no pipeline of ours
 * wrote, and deletes each once archived. One cut short (a converter
 * killed while writing it, a copy still under way) would be archived and
 * its original deleted: its rows lost for good. So each is read once with
 * libxml2's streaming reader before anything is packed.
 */
#ifndef CSVPACK_DOC_CHECK_H
#define CSVPACK_DOC_CHECK_H

/* Reads dir_path/name (open relative to dir_fd, O_NOFOLLOW, a regular
 * file) through to its end. Returns 0 if it is well-formed XML; -1 after
 * printing "DIR/NAME:LINE: not well-formed XML: why" (FAIL_DATA recorded,
 * fail.h), or after printing an I/O error, a symlink or not a regular
 * file (FAIL_SYS). Memory stays bounded by the largest text node. */
int doc_check(int dir_fd, const char *dir_path, const char *name);

#endif
