// Barriers as functions, so that a kernel can be composed with these or with
// barriers_lockstep.wgsl (for workgroups that run in lockstep) from one source.
fn barrier_storage() {
    storageBarrier();
}
fn barrier_workgroup() {
    workgroupBarrier();
}
