// Barriers of a kernel whose workgroup is one SIMD group run in lockstep: on
// llvmpipe (lavapipe) a workgroup of at most its subgroup size of invocations
// (wgrl_gpu::Context::lockstep_lanes). Every invocation there already sees the
// others' memory operations in program order, while a real barrier makes
// llvmpipe compile the kernel as a coroutine that keeps its variables in memory
// rather than in registers. Results are bitwise the same as with barriers.
fn barrier_storage() {}
fn barrier_workgroup() {}
