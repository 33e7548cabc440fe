#!/usr/bin/env python3
# Splits a perf profile of the Lodestar server by component (see benchmarks/README.md, Ingestion, ing5):
#   perf record -F 499 -g -p <server pid> -o run.data -- sleep 15   (server started with DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)
#   perf script -i run.data -F comm,ip,sym,dso | python3 benchmarks/tools/perf-components.py
# Each sample goes to the innermost component on its stack; the bracket is the part spent in libcoreclr/libclrjit (GC, allocation, stubs).
import sys, re, collections
rules = [
 ("DuckDB append (store)", re.compile(r"libduckdb|DuckDbEventStore|DuckDB\.NET")),
 ("SQLite (profiles/identity store)", re.compile(r"libe_sqlite3|Sqlite")),
 ("profile projection/fold", re.compile(r"ProfileProject|Lodestar\.Core\.Profiles|ProfileFold|ProfileCheckpoint")),
 ("segment router", re.compile(r"Lodestar\.Engine\.Segments")),
 ("log write (codec+write+fsync)", re.compile(r"EventLog")),
 ("de-duplication", re.compile(r"DeduplicationWindow")),
 ("identity", re.compile(r"IdentityResolver")),
 ("store applier (other)", re.compile(r"EventStoreApplier")),
 ("pipeline/commit (other)", re.compile(r"IngestionPipeline")),
 ("body parsing+mapping+validation", re.compile(r"Leanplum|SegmentBatch|SegmentMessage|SegmentApi|EventValidator|RequestBody|RepeatedText|Lodestar\.Server\.Segment|WebUtilities|System\.Private\.Uri")),
 ("Kestrel/HTTP/sockets", re.compile(r"Kestrel|System\.Net\.Sockets|AspNetCore|System\.IO\.Pipelines")),
]
tot = collections.Counter(); rt = collections.Counter(); n=0
def flush(frames, comm):
    global n
    if not frames: return
    n+=1
    leaf = frames[0]
    comp=None
    for f in frames:
        for name, rx in rules:
            if rx.search(f): comp=name; break
        if comp: break
    if comp is None:
        if "libclrjit" in leaf: comp="JIT"
        elif "libcoreclr" in leaf or any("libcoreclr" in f for f in frames[:1]): comp="runtime, no managed caller (GC threads, thread pool)"
        elif "kernel" in leaf: comp="kernel, other"
        else: comp="other managed/native"
    tot[comp]+=1
    if "libcoreclr" in leaf or "libclrjit" in leaf: rt[comp]+=1
frames=[]; comm=None
for line in sys.stdin:
    line=line.rstrip("\n")
    if not line.strip():
        flush(frames, comm); frames=[]; continue
    if not line.startswith("\t") and not line.startswith(" "):
        comm=line; continue
    frames.append(line.strip())
flush(frames, comm)
print(f"samples {n}")
for k,v in tot.most_common(): print(f"{100*v/n:5.1f}%  {k}   (of which in libcoreclr/jit at the leaf: {100*rt[k]/n:.1f}%)")
