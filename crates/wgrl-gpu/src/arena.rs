//! The arena: every tensor the engine uses gets a typed, named slot in a plan made
//! before training; the plan is laid out into pages no larger than one storage
//! binding may be, and allocated once. Nothing is allocated on the GPU afterwards.

use crate::context::Context;
use crate::error::{GpuError, Result};
use bytemuck::Pod;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// What a slot holds; the memory report sums bytes per category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Network parameters.
    Params,
    /// Parameter gradients.
    Grads,
    /// Optimizer moments and counters.
    Optimizer,
    /// Env states, per-env bookkeeping and per-env task parameters.
    EnvState,
    /// Observations, actions, rewards and flags exchanged with envs.
    EnvIo,
    /// Rollout storage (trajectories, advantages, returns).
    Rollout,
    /// f32 activations saved for backward.
    Activations,
    /// Compressed activation state (for example 2-bit Approx-BP codes).
    ActivationState,
    /// Temporaries reused within an iteration.
    Scratch,
    /// Training statistics and per-iteration scalars.
    Stats,
}

impl Category {
    /// The snake_case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Category::Params => "params",
            Category::Grads => "grads",
            Category::Optimizer => "optimizer",
            Category::EnvState => "env_state",
            Category::EnvIo => "env_io",
            Category::Rollout => "rollout",
            Category::Activations => "activations",
            Category::ActivationState => "activation_state",
            Category::Scratch => "scratch",
            Category::Stats => "stats",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Untyped handle to a slot in a plan (and in the arena built from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlotId(usize);

/// Typed handle to a slot of `T` elements.
#[derive(Debug)]
pub struct Slot<T> {
    id: SlotId,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Slot<T> {}

impl<T> Slot<T> {
    /// The untyped id.
    pub fn id(self) -> SlotId {
        self.id
    }
}

impl<T> From<Slot<T>> for SlotId {
    fn from(s: Slot<T>) -> SlotId {
        s.id
    }
}

/// One named tensor in a plan.
#[derive(Debug, Clone, Serialize)]
pub struct SlotSpec {
    /// Unique, dotted name (for example `env.states`).
    pub name: String,
    /// What it holds.
    pub category: Category,
    /// Bytes per element (4 for f32/u32; a struct's size for struct arrays).
    pub elem_bytes: u64,
    /// Number of elements.
    pub len: u64,
    /// Also bound as a uniform buffer somewhere (read-only there): the slot gets
    /// a page of its own, with uniform usage, and its binding is rounded up to 16
    /// bytes (WGSL uniform arrays hold vec4s).
    pub uniform: bool,
}

impl SlotSpec {
    /// Bytes the slot occupies (before page alignment).
    pub fn bytes(&self) -> u64 {
        self.elem_bytes * self.len
    }

    /// Bytes a binding of the slot covers: its bytes, rounded up to 16 for a
    /// uniform slot (whose page has the room).
    pub fn binding_bytes(&self) -> u64 {
        if self.uniform {
            uniform_binding_bytes(self.bytes())
        } else {
            self.bytes()
        }
    }
}

/// A list of slots, not yet placed or allocated.
#[derive(Debug, Clone, Default)]
pub struct ArenaPlan {
    slots: Vec<SlotSpec>,
}

impl ArenaPlan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a slot of `len` elements of `T`.
    pub fn add<T: Pod>(&mut self, name: &str, category: Category, len: u64) -> Slot<T> {
        let id = self.add_raw(name, category, std::mem::size_of::<T>() as u64, len);
        Slot {
            id,
            _t: PhantomData,
        }
    }

    /// Adds a slot of `len` elements of `T` that kernels may also bind as a uniform
    /// buffer (see [`SlotSpec::uniform`]). Since a dispatch may not use one buffer as
    /// both uniform and storage, the slot's page holds nothing else.
    pub fn add_uniform<T: Pod>(&mut self, name: &str, category: Category, len: u64) -> Slot<T> {
        let slot = self.add::<T>(name, category, len);
        self.slots[slot.id.0].uniform = true;
        slot
    }

    /// Adds a slot of `len` elements of `elem_bytes` each (for WGSL struct arrays whose
    /// size comes from the shader's layout).
    pub fn add_raw(&mut self, name: &str, category: Category, elem_bytes: u64, len: u64) -> SlotId {
        self.slots.push(SlotSpec {
            name: name.to_string(),
            category,
            elem_bytes,
            len,
            uniform: false,
        });
        SlotId(self.slots.len() - 1)
    }

    /// The slots in the order they were added.
    pub fn slots(&self) -> &[SlotSpec] {
        &self.slots
    }

    /// Places every slot into pages under `limits`, or says what does not fit.
    pub fn layout(&self, limits: &ArenaLimits) -> Result<ArenaLayout> {
        let mut seen = std::collections::HashSet::new();
        for s in &self.slots {
            if !seen.insert(s.name.as_str()) {
                return Err(GpuError::Plan(format!(
                    "arena plan names slot '{}' twice; slot names must be unique",
                    s.name
                )));
            }
            if s.len == 0 || s.elem_bytes == 0 {
                return Err(GpuError::Plan(format!(
                    "arena slot '{}' is empty ({} elements of {} bytes); every tensor needs at least one element",
                    s.name, s.len, s.elem_bytes
                )));
            }
            if s.elem_bytes % 4 != 0 {
                return Err(GpuError::Plan(format!(
                    "arena slot '{}' has {}-byte elements; WGSL storage elements are multiples of 4 bytes",
                    s.name, s.elem_bytes
                )));
            }
            let bytes = s.bytes();
            if bytes > limits.page_bytes {
                return Err(GpuError::Plan(format!(
                    "arena slot '{}' ({}) needs {} but one storage binding on this device holds at most {} \
                     (max_storage_buffer_binding_size); it is over by {}. Shrink what sizes it \
                     (fewer envs or agents, shorter rollouts, smaller minibatches or layers).",
                    s.name,
                    s.category,
                    fmt_bytes(bytes),
                    fmt_bytes(limits.page_bytes),
                    fmt_bytes(bytes - limits.page_bytes)
                )));
            }
            if s.uniform && s.binding_bytes() > limits.uniform_bytes {
                return Err(GpuError::Plan(format!(
                    "arena slot '{}' ({}) is bound as a uniform buffer and needs {}, but one uniform \
                     binding on this device holds at most {} (max_uniform_buffer_binding_size). \
                     Plan it as a storage-only slot, or shrink it (fewer agents, smaller layers).",
                    s.name,
                    s.category,
                    fmt_bytes(s.binding_bytes()),
                    fmt_bytes(limits.uniform_bytes)
                )));
            }
        }
        // First fit over open pages, in plan order: deterministic and keeps related
        // slots together.
        // A uniform slot's page is its own, sized for its rounded-up binding.
        let mut pages: Vec<u64> = Vec::new();
        let mut page_uniform: Vec<bool> = Vec::new();
        let mut placements = Vec::with_capacity(self.slots.len());
        for s in &self.slots {
            let bytes = align_up(s.bytes(), 4);
            let mut placed = None;
            if !s.uniform {
                for (p, used) in pages.iter_mut().enumerate() {
                    let offset = align_up(*used, limits.alignment);
                    if !page_uniform[p] && offset + bytes <= limits.page_bytes {
                        *used = offset + bytes;
                        placed = Some((p, offset));
                        break;
                    }
                }
            }
            let (page, offset) = placed.unwrap_or_else(|| {
                pages.push(s.binding_bytes().max(bytes));
                page_uniform.push(s.uniform);
                (pages.len() - 1, 0)
            });
            placements.push(SlotPlacement {
                page: page as u32,
                offset,
                bytes,
            });
        }
        let total: u64 = pages.iter().sum();
        if let Some(budget) = limits.budget_bytes
            && total > budget
        {
            let mut largest: Vec<&SlotSpec> = self.slots.iter().collect();
            largest.sort_by_key(|s| std::cmp::Reverse(s.bytes()));
            let top: Vec<String> = largest
                .iter()
                .take(3)
                .map(|s| format!("{} {}", s.name, fmt_bytes(s.bytes())))
                .collect();
            return Err(GpuError::Plan(format!(
                "arena plan needs {} but the memory budget is {}; it is over by {}. The largest slots are {}: \
                 shrink what sizes them (fewer envs or agents, shorter rollouts, smaller minibatches or layers).",
                fmt_bytes(total),
                fmt_bytes(budget),
                fmt_bytes(total - budget),
                top.join(", ")
            )));
        }
        Ok(ArenaLayout {
            slots: self.slots.clone(),
            placements,
            pages,
            page_uniform,
        })
    }
}

/// Device limits that shape the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArenaLimits {
    /// Largest page: the smaller of the maximum storage binding and the maximum buffer.
    pub page_bytes: u64,
    /// Offset alignment of slots inside a page (`min_storage_buffer_offset_alignment`).
    pub alignment: u64,
    /// Largest uniform binding (`max_uniform_buffer_binding_size`), for uniform slots.
    pub uniform_bytes: u64,
    /// Optional cap on the whole arena (wgpu does not expose device memory size).
    pub budget_bytes: Option<u64>,
}

impl ArenaLimits {
    /// Limits of a device.
    pub fn from_limits(limits: &wgpu::Limits) -> Self {
        ArenaLimits {
            page_bytes: limits
                .max_storage_buffer_binding_size
                .min(limits.max_buffer_size),
            alignment: limits.min_storage_buffer_offset_alignment.max(4) as u64,
            uniform_bytes: limits.max_uniform_buffer_binding_size,
            budget_bytes: None,
        }
    }
}

/// Where a slot lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SlotPlacement {
    /// Page index.
    pub page: u32,
    /// Byte offset in the page (aligned for binding).
    pub offset: u64,
    /// Bytes (a multiple of 4).
    pub bytes: u64,
}

/// A plan with every slot placed.
#[derive(Debug, Clone)]
pub struct ArenaLayout {
    slots: Vec<SlotSpec>,
    placements: Vec<SlotPlacement>,
    pages: Vec<u64>,
    /// Pages holding a uniform slot (alone), allocated with uniform usage.
    page_uniform: Vec<bool>,
}

impl ArenaLayout {
    /// Page sizes in bytes.
    pub fn pages(&self) -> &[u64] {
        &self.pages
    }
    /// Placement of a slot.
    pub fn placement(&self, id: impl Into<SlotId>) -> SlotPlacement {
        self.placements[id.into().0]
    }
    /// Spec of a slot.
    pub fn spec(&self, id: impl Into<SlotId>) -> &SlotSpec {
        &self.slots[id.into().0]
    }
    /// Bytes per category, per slot and in total.
    pub fn memory_report(&self) -> MemoryReport {
        let mut by_category = BTreeMap::new();
        let mut by_slot = Vec::with_capacity(self.slots.len());
        for (s, p) in self.slots.iter().zip(&self.placements) {
            *by_category
                .entry(s.category.name().to_string())
                .or_insert(0) += p.bytes;
            by_slot.push(SlotMemory {
                name: s.name.clone(),
                category: s.category,
                bytes: p.bytes,
                page: p.page,
            });
        }
        MemoryReport {
            total_bytes: self.pages.iter().sum(),
            page_bytes: self.pages.clone(),
            by_category,
            by_slot,
        }
    }
}

/// Bytes of one slot in the memory report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SlotMemory {
    /// Slot name.
    pub name: String,
    /// Category.
    pub category: Category,
    /// Bytes.
    pub bytes: u64,
    /// Page it lives in.
    pub page: u32,
}

/// The arena's memory, by category and by slot. `total_bytes` is what was allocated
/// (slot bytes plus alignment padding).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MemoryReport {
    /// All pages together.
    pub total_bytes: u64,
    /// Size of each page.
    pub page_bytes: Vec<u64>,
    /// Bytes per category (snake_case names).
    pub by_category: BTreeMap<String, u64>,
    /// Every slot, in plan order.
    pub by_slot: Vec<SlotMemory>,
}

impl fmt::Display for MemoryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "arena: {} in {} page(s)",
            fmt_bytes(self.total_bytes),
            self.page_bytes.len()
        )?;
        for (c, b) in &self.by_category {
            writeln!(f, "  {c:<18} {}", fmt_bytes(*b))?;
        }
        Ok(())
    }
}

/// The allocated arena: one GPU buffer per page, created once.
#[derive(Debug)]
pub struct Arena {
    ctx: Context,
    layout: ArenaLayout,
    pages: Vec<wgpu::Buffer>,
}

impl Arena {
    /// Lays out `plan` for the context's device and allocates its pages.
    pub fn new(ctx: &Context, plan: &ArenaPlan) -> Result<Self> {
        Self::with_limits(ctx, plan, &ArenaLimits::from_limits(&ctx.limits()))
    }

    /// Like [`Arena::new`] with explicit limits (for a memory budget, say).
    pub fn with_limits(ctx: &Context, plan: &ArenaPlan, limits: &ArenaLimits) -> Result<Self> {
        let layout = plan.layout(limits)?;
        let pages = ctx.checked("arena allocation", |device| {
            layout
                .pages
                .iter()
                .enumerate()
                .map(|(i, &bytes)| {
                    let mut usage = wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_SRC
                        | wgpu::BufferUsages::COPY_DST;
                    if layout.page_uniform[i] {
                        usage |= wgpu::BufferUsages::UNIFORM;
                    }
                    device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some(&format!("wgrl arena page {i}")),
                        size: bytes,
                        usage,
                        mapped_at_creation: false,
                    })
                })
                .collect::<Vec<_>>()
        })?;
        Ok(Arena {
            ctx: ctx.clone(),
            layout,
            pages,
        })
    }

    /// The layout (placements, page sizes).
    pub fn layout(&self) -> &ArenaLayout {
        &self.layout
    }
    /// The memory report.
    pub fn memory_report(&self) -> MemoryReport {
        self.layout.memory_report()
    }
    /// The GPU buffer of a page (for hosts that draw from engine data).
    pub fn page(&self, page: u32) -> &wgpu::Buffer {
        &self.pages[page as usize]
    }
    /// The buffer range of a slot, for a bind group entry (storage, or uniform for
    /// a slot planned with [`ArenaPlan::add_uniform`]: then rounded up to 16 bytes).
    pub fn binding(&self, id: impl Into<SlotId>) -> wgpu::BindingResource<'_> {
        let id = id.into();
        let p = self.layout.placement(id);
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.pages[p.page as usize],
            offset: p.offset,
            size: wgpu::BufferSize::new(self.layout.spec(id).binding_bytes().max(p.bytes)),
        })
    }
    /// A slot as a [`GpuSlice`]: what a host binds to read it in its own shaders.
    pub fn slice(&self, id: impl Into<SlotId>) -> GpuSlice<'_> {
        let (buffer, offset, size) = self.range(id);
        GpuSlice {
            buffer,
            offset,
            size,
        }
    }

    /// The buffer and byte range of a slot.
    pub fn range(&self, id: impl Into<SlotId>) -> (&wgpu::Buffer, u64, u64) {
        let p = self.layout.placement(id);
        (&self.pages[p.page as usize], p.offset, p.bytes)
    }

    /// Uploads `data` into a slot (queued; takes effect before the next submission).
    pub fn write<T: Pod>(&self, slot: Slot<T>, data: &[T]) -> Result<()> {
        self.write_bytes(slot.id, bytemuck::cast_slice(data))
    }

    /// Uploads raw bytes into a slot of any element type.
    pub fn write_bytes(&self, id: SlotId, data: &[u8]) -> Result<()> {
        let spec = self.layout.spec(id);
        if data.len() as u64 != spec.bytes() {
            return Err(GpuError::Invalid(format!(
                "slot '{}' holds {} bytes ({} x {}) but {} bytes were given",
                spec.name,
                spec.bytes(),
                spec.len,
                spec.elem_bytes,
                data.len()
            )));
        }
        let (buf, off, _) = self.range(id);
        self.ctx.queue().write_buffer(buf, off, data);
        Ok(())
    }

    /// Reads a slot back to the host, blocking (counted as one readback and one wait).
    /// For tests, debugging and the host env API; the training loop never calls it.
    pub fn read<T: Pod>(&self, slot: Slot<T>) -> Result<Vec<T>> {
        let bytes = self.read_bytes(slot.id)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Reads the raw bytes of a slot, blocking.
    pub fn read_bytes(&self, id: SlotId) -> Result<Vec<u8>> {
        let spec = self.layout.spec(id);
        let (buf, off, _) = self.range(id);
        crate::readback::read_buffer_blocking(&self.ctx, buf, off, spec.bytes())
    }
}

/// A byte range of one arena page: where a tensor lives on the GPU.
///
/// Arena pages are `STORAGE | COPY_SRC | COPY_DST` buffers and every slot's offset
/// meets the device's storage-offset alignment, so a host can bind a slice as a
/// (read-only) storage buffer in its own compute or render pipelines, or copy from it.
#[derive(Debug, Clone, Copy)]
pub struct GpuSlice<'a> {
    /// The arena page holding the data.
    pub buffer: &'a wgpu::Buffer,
    /// Byte offset in `buffer`.
    pub offset: u64,
    /// Bytes.
    pub size: u64,
}

impl<'a> GpuSlice<'a> {
    /// The slice as a buffer binding for a bind group entry.
    pub fn binding(&self) -> wgpu::BindingResource<'a> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: self.buffer,
            offset: self.offset,
            size: wgpu::BufferSize::new(self.size),
        })
    }
}

/// Bytes a uniform binding of `bytes` covers: a whole number of 16-byte vec4s,
/// as WGSL's uniform arrays (`array<vec4<f32>, N>`) need.
pub fn uniform_binding_bytes(bytes: u64) -> u64 {
    align_up(bytes, 16)
}

/// Rounds `x` up to a multiple of `a` (a power of two or any positive integer).
pub fn align_up(x: u64, a: u64) -> u64 {
    x.div_ceil(a) * a
}

/// Human-readable bytes (KiB/MiB/GiB, one decimal).
pub fn fmt_bytes(b: u64) -> String {
    const K: f64 = 1024.0;
    let f = b as f64;
    if f >= K * K * K {
        format!("{:.1} GiB", f / (K * K * K))
    } else if f >= K * K {
        format!("{:.1} MiB", f / (K * K))
    } else if f >= K {
        format!("{:.1} KiB", f / K)
    } else {
        format!("{b} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(page: u64) -> ArenaLimits {
        ArenaLimits {
            page_bytes: page,
            alignment: 256,
            uniform_bytes: 65536,
            budget_bytes: None,
        }
    }

    #[test]
    fn slots_are_aligned_and_never_straddle_pages() {
        let mut plan = ArenaPlan::new();
        let a = plan.add::<f32>("a", Category::Params, 100);
        let b = plan.add::<u32>("b", Category::Stats, 300);
        let c = plan.add::<f32>("c", Category::Rollout, 200);
        let layout = plan.layout(&limits(2048)).unwrap();
        for id in [a.id(), b.id(), c.id()] {
            let p = layout.placement(id);
            assert_eq!(p.offset % 256, 0);
            assert!(p.offset + p.bytes <= layout.pages()[p.page as usize]);
        }
        // a: 0..400, b: 512..1712, c (800 B) does not fit after b (1792+800 > 2048) -> page 1.
        assert_eq!(layout.placement(b).offset, 512);
        assert_eq!(layout.placement(c).page, 1);
        let r = layout.memory_report();
        assert_eq!(r.by_category["params"], 400);
        assert_eq!(r.by_category["rollout"], 800);
        assert_eq!(r.total_bytes, 1712 + 800);
    }

    #[test]
    fn a_uniform_slot_gets_a_page_of_its_own() {
        let mut plan = ArenaPlan::new();
        let a = plan.add::<f32>("a", Category::Stats, 10);
        let u = plan.add_uniform::<f32>("u", Category::Params, 7);
        let b = plan.add::<f32>("b", Category::Rollout, 10);
        let layout = plan.layout(&limits(4096)).unwrap();
        // b would fit after a and after u; it joins a, never u.
        assert_eq!(layout.placement(a).page, 0);
        assert_eq!(layout.placement(u).page, 1);
        assert_eq!(layout.placement(b).page, 0);
        // 28 bytes of data; the page holds the 32-byte (vec4-rounded) binding.
        assert_eq!(layout.placement(u).bytes, 28);
        assert_eq!(layout.pages()[1], 32);
        assert_eq!(layout.page_uniform, vec![false, true]);
    }

    #[test]
    fn a_uniform_slot_over_the_uniform_limit_says_so() {
        let mut plan = ArenaPlan::new();
        plan.add_uniform::<f32>("ppo.params", Category::Params, 16385);
        let e = plan.layout(&limits(1 << 20)).unwrap_err().to_string();
        assert!(e.contains("ppo.params"), "{e}");
        assert!(e.contains("max_uniform_buffer_binding_size"), "{e}");
        assert!(e.contains("64.0 KiB"), "{e}");
    }

    #[test]
    fn oversized_slot_names_the_slot_and_the_excess() {
        let mut plan = ArenaPlan::new();
        plan.add::<f32>("rollout.obs", Category::Rollout, 1000);
        let err = plan.layout(&limits(1024)).unwrap_err().to_string();
        assert!(err.contains("rollout.obs"), "{err}");
        assert!(err.contains("over by 2.9 KiB"), "{err}");
    }

    #[test]
    fn budget_overrun_lists_the_largest_slots() {
        let mut plan = ArenaPlan::new();
        plan.add::<f32>("small", Category::Params, 10);
        plan.add::<f32>("big", Category::Rollout, 1000);
        let mut l = limits(1 << 20);
        l.budget_bytes = Some(2048);
        let err = plan.layout(&l).unwrap_err().to_string();
        assert!(err.contains("big 3.9 KiB"), "{err}");
        assert!(err.contains("over by"), "{err}");
    }

    #[test]
    fn empty_and_duplicate_slots_are_rejected() {
        let mut plan = ArenaPlan::new();
        plan.add::<f32>("x", Category::Params, 0);
        assert!(
            plan.layout(&limits(1024))
                .unwrap_err()
                .to_string()
                .contains("'x' is empty")
        );
        let mut plan = ArenaPlan::new();
        plan.add::<f32>("x", Category::Params, 1);
        plan.add::<f32>("x", Category::Params, 1);
        assert!(
            plan.layout(&limits(1024))
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
    }
}
