#!/usr/bin/env python3
"""seed_reference.py - the seed's design in plain Python, for bench.py.

    python3 bench/seed_reference.py [-o OUT] [-b B] [-r R] [--check] INPUT...

What ../shared/seed/threading_event_seed.md sketches, written out so that
it runs and is correct:

- the main thread reads each INPUT with the csv module and queues chunks of
  R rows (a bounded queue.Queue; documents never span two inputs);
- a converter thread writes each chunk as one XML document OUT/NNNNNN.xml,
  the values escaped with xml.sax.saxutils.escape and written to the file
  row by row, as the seed's csv2xml(data, wf) would;
- a packer thread packs every B documents into OUT/NNNNNN.tgz with tarfile
  (gzip level 6, as csvpack's default) and deletes them;
- the two are joined by two threading.Events as in the seed: after B
  documents the converter sets `converted` and waits on `packed`, then
  clears it; the packer waits on `converted`, packs, clears `converted` and
  sets `packed`.  So the converter waits while the packer packs, exactly
  the rule csvpack's spec keeps (guarantee 3).

The documents have csvpack's default shape byte for byte (root `table`
with `source` and `sid`, one `row line="N"` per data row, one element per
column, element names cleaned as SPEC.md says, `"` written `&quot;` and
`\\r` as `&#13;` as xmlTextWriter does, characters XML cannot carry made
U+FFFD), so bench.py can compare them with the pipeline's.  The archives
are ordinary tarfile archives (owner, mtime and modes as the files had):
their members, not their bytes, match csvpack's.  Not covered: --ragged,
--no-header, -d, --encoding (input is UTF-8, with or without a BOM).

--check reads the archives back when done (tarfile, every document parsed
with ElementTree) and compares every row with the inputs: every row once,
in order, field by field.  Exit 0, or 1 with the first difference; 65 for
bad input (a row with the wrong field count, invalid UTF-8).

stderr gets one summary line: `seed_reference: N rows, D documents, A
archives`.  stdout gets each archive's path as it is finished.
"""
import argparse
import csv
import os
import queue
import re
import sys
import tarfile
import threading
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

# What xmlTextWriterWriteString does beyond escape()'s < > &.
TEXT_ENTITIES = {'"': "&quot;", "\r": "&#13;"}
# Characters XML 1.0 cannot carry: U+FFFD instead (SPEC.md).
BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
NAME_START = ("A-Z_a-z\xc0-\xd6\xd8-\xf6\xf8-\u02ff\u0370-\u037d"
              "\u037f-\u1fff\u200c-\u200d\u2070-\u218f\u2c00-\u2fef"
              "\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff")
NAME_CHAR = NAME_START + "\\-.0-9\xb7\u0300-\u036f\u203f-\u2040"
NOT_NAME_CHAR = re.compile("[^" + NAME_CHAR + "]")
NAME_START_RE = re.compile("[" + NAME_START + "]")
END = None          # the queue's end-of-input mark (the seed's sid == -1)


class BadInput(Exception):
    pass


def element_names(header):
    """Column names -> element names, by SPEC.md's rules."""
    names, seen = [], set()
    for i, h in enumerate(header, 1):
        if h == "":
            n = "field%d" % i
        else:
            n = NOT_NAME_CHAR.sub("_", h.replace(":", "_"))
            if not NAME_START_RE.match(n):
                n = "_" + n
        base, k = n, 1
        while n in seen:
            k += 1
            n = "%s_%d" % (base, k)
        seen.add(n)
        names.append(n)
    return names


def clean_lines(f):
    """The file's physical lines, each with XML's forbidden characters
    made U+FFFD (none of them is a delimiter, a quote or a line end, so
    doing it before the csv module parses is the same as after)."""
    for line in f:
        if BAD_XML.search(line):
            line = BAD_XML.sub("\ufffd", line)
        yield line


def read_chunks(path, rows_per_doc):
    """Yields (names, [(line, fields)...]) chunks of up to rows_per_doc
    data rows of one input."""
    f = sys.stdin if path == "-" else open(path, encoding="utf-8-sig",
                                             newline="")
    try:
        reader = csv.reader(clean_lines(f), strict=False)
        names = None
        chunk = []
        last = 0                     # physical line the previous row ended on
        try:
            for fields in reader:
                start = last + 1
                last = reader.line_num
                if not fields:       # a blank line
                    continue
                if names is None:
                    names = element_names(fields)
                    continue
                if len(fields) != len(names):
                    raise BadInput("%s:%d: %d fields, the header has %d" % (
                        path, start, len(fields), len(names)))
                chunk.append((start, fields))
                if len(chunk) == rows_per_doc:
                    yield names, chunk
                    chunk = []
        except UnicodeDecodeError as e:   # decoded a block at a time
            raise BadInput("%s: after line %d: %s" % (path, last, e))
        except csv.Error as e:
            raise BadInput("%s:%d: %s" % (path, reader.line_num, e))
        if chunk:
            yield names, chunk
    finally:
        if f is not sys.stdin:
            f.close()


def csv2xml(source, sid, names, rows, wf):
    """One document: the seed's csv2xml(data, wf), in csvpack's shape."""
    opens = ["<%s>" % n for n in names]
    closes = ["</%s>" % n for n in names]
    cols = list(zip(opens, closes))
    wf.write('<?xml version="1.0" encoding="UTF-8"?>\n<table source=%s '
             'sid="%d">\n' % (quoteattr(source), sid))
    for line, fields in rows:
        parts = ['  <row line="%d">' % line]
        for (o, c), v in zip(cols, fields):
            parts.append(o)
            parts.append(escape(v, TEXT_ENTITIES))
            parts.append(c)
        parts.append("</row>\n")
        wf.write("".join(parts))
    wf.write("</table>\n")


class Shared:
    """What the two threads share.  `staged` is touched by the converter
    only while the packer waits, and by the packer only while the
    converter waits: the events order every access."""

    def __init__(self):
        self.converted = threading.Event()   # the seed's cEvent
        self.packed = threading.Event()      # the seed's tEvent
        self.staged = []                     # documents not yet packed
        self.done = False                    # the converter has finished
        self.failed = None                   # an exception from either
        self.archives = 0


def wait(ev, shared):
    """ev.wait(), but gives up when the other thread failed."""
    while not ev.wait(0.5):
        if shared.failed:
            raise RuntimeError("the other thread failed")


class Converter(threading.Thread):
    def __init__(self, q, shared, outdir, batch):
        super().__init__(name="converter")
        self.q, self.s, self.outdir, self.batch = q, shared, outdir, batch
        self.documents = 0
        self.rows = 0

    def hand_over(self):
        """The seed's cEvent.set(); tEvent.wait(); tEvent.clear()."""
        self.s.converted.set()
        wait(self.s.packed, self.s)
        self.s.packed.clear()

    def run(self):
        try:
            while True:
                item = self.q.get()
                if item is END:
                    break
                source, names, rows = item
                self.documents += 1
                name = "%06d.xml" % self.documents
                path = os.path.join(self.outdir, name)
                with open(path + ".tmp", "w", encoding="utf-8",
                          newline="") as wf:
                    csv2xml(source, self.documents, names, rows, wf)
                os.rename(path + ".tmp", path)
                self.rows += len(rows)
                self.s.staged.append(name)
                if len(self.s.staged) == self.batch:
                    self.hand_over()
            self.s.done = True
            self.hand_over()          # the last, partial batch (or none)
        except BaseException as e:
            self.s.failed = self.s.failed or e
            self.s.converted.set()
            # the reader may be blocked on a full queue: drain it
            while True:
                try:
                    if self.q.get(timeout=0.5) is END:
                        break
                except queue.Empty:
                    break


class Packer(threading.Thread):
    def __init__(self, shared, outdir, announce):
        super().__init__(name="packer")
        self.s, self.outdir, self.announce = shared, outdir, announce

    def pack(self):
        self.s.archives += 1
        path = os.path.join(self.outdir, "%06d.tgz" % self.s.archives)
        with tarfile.open(path + ".tmp", "w:gz", compresslevel=6) as tf:
            for name in self.s.staged:
                tf.add(os.path.join(self.outdir, name), arcname=name)
        os.rename(path + ".tmp", path)
        for name in self.s.staged:
            os.remove(os.path.join(self.outdir, name))
        self.s.staged.clear()
        self.announce(path)

    def run(self):
        try:
            while True:
                wait(self.s.converted, self.s)     # cEvent.wait()
                if self.s.failed:
                    return
                if self.s.staged:
                    self.pack()
                done = self.s.done
                self.s.converted.clear()           # cEvent.clear()
                self.s.packed.set()                # tEvent.set()
                if done:
                    return
        except BaseException as e:
            self.s.failed = self.s.failed or e
            self.s.packed.set()


def run(inputs, outdir, batch, rows_per_doc, announce):
    """Returns (rows, documents, archives)."""
    os.makedirs(outdir, exist_ok=True)
    q = queue.Queue(maxsize=4)
    shared = Shared()
    conv = Converter(q, shared, outdir, batch)
    pack = Packer(shared, outdir, announce)
    pack.start()
    conv.start()
    try:
        for path in inputs:
            for names, rows in read_chunks(path, rows_per_doc):
                if shared.failed:
                    break
                q.put((path, names, rows))
    finally:
        q.put(END)
        conv.join()
        pack.join()
    if shared.failed:
        raise shared.failed
    return conv.rows, conv.documents, shared.archives


def check(inputs, outdir, batch, rows_per_doc, documents, archives):
    """Every row of the inputs once, in order, in the archives."""
    names = sorted(n for n in os.listdir(outdir) if n.endswith(".tgz"))
    want = ["%06d.tgz" % i for i in range(1, archives + 1)]
    if names != want:
        return "archives %s, expected %s" % (names, want)
    stray = [n for n in os.listdir(outdir) if not n.endswith(".tgz")]
    if stray:
        return "left in %s: %s" % (outdir, stray[:5])

    def documents_in_order():
        for a in names:
            with tarfile.open(os.path.join(outdir, a), "r:gz") as tf:
                for m in tf:
                    yield a, m.name, tf.extractfile(m).read()

    docs = documents_in_order()
    sid = 0
    for path in inputs:
        for _, rows in read_chunks(path, rows_per_doc):
            sid += 1
            try:
                a, member, data = next(docs)
            except StopIteration:
                return "document %d missing" % sid
            where = "%s %s" % (a, member)
            if member != "%06d.xml" % sid:
                return "%s: expected %06d.xml" % (where, sid)
            if (sid - 1) // batch + 1 != int(a[:6]):
                return "%s: in the wrong archive" % where
            root = ET.fromstring(data)
            if root.get("source") != path or root.get("sid") != str(sid):
                return "%s: source %r sid %r" % (where, root.get("source"),
                                                 root.get("sid"))
            got = list(root)
            if len(got) != len(rows):
                return "%s: %d rows, expected %d" % (where, len(got),
                                                     len(rows))
            for el, (line, fields) in zip(got, rows):
                if el.get("line") != str(line) or \
                        [c.text or "" for c in el] != fields:
                    return "%s: row at line %s differs from %s:%d" % (
                        where, el.get("line"), path, line)
    if next(docs, None) is not None:
        return "more documents than the inputs make"
    if sid != documents:
        return "%d documents written, %d in the inputs" % (documents, sid)
    return None


def main():
    ap = argparse.ArgumentParser(
        description="The seed's two threads and two Events, as a reference.")
    ap.add_argument("-o", "--output", default="out")
    ap.add_argument("-b", "--batch", type=int, default=100)
    ap.add_argument("-r", "--rows", type=int, default=1000)
    ap.add_argument("--check", action="store_true",
                    help="read the archives back and compare every row")
    ap.add_argument("inputs", nargs="*", default=["-"])
    args = ap.parse_args()
    if args.batch < 1 or args.rows < 1:
        ap.error("-b and -r must be positive")
    if args.check and "-" in args.inputs:
        ap.error("--check needs files, not stdin")

    def announce(path):
        print(path, flush=True)

    try:
        rows, docs, archives = run(args.inputs, args.output, args.batch,
                                   args.rows, announce)
    except BadInput as e:
        print("seed_reference: %s" % e, file=sys.stderr)
        return 65
    except OSError as e:
        print("seed_reference: %s" % e, file=sys.stderr)
        return 1
    print("seed_reference: %d rows, %d documents, %d archives" % (
        rows, docs, archives), file=sys.stderr)
    if args.check:
        problem = check(args.inputs, args.output, args.batch, args.rows,
                        docs, archives)
        if problem:
            print("seed_reference: check: %s" % problem, file=sys.stderr)
            return 1
        print("seed_reference: check: every row once, in order: OK",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
