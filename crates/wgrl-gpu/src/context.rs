//! The device context: an owned or borrowed `wgpu::Device` + `Queue`, the adapter
//! report, and the engine's counters of host readbacks and blocking waits.

use crate::error::{GpuError, Result};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the engine reports about the adapter it runs on.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AdapterReport {
    /// Adapter name as the driver reports it (for example `llvmpipe (LLVM 15.0.6, 256 bits)`).
    pub name: String,
    /// Backend: `vulkan`, `metal`, `dx12`, `gl`.
    pub backend: String,
    /// Device type: `discrete_gpu`, `integrated_gpu`, `virtual_gpu`, `cpu`, `other`.
    pub device_type: String,
    /// Driver name and version string.
    pub driver: String,
}

impl AdapterReport {
    /// Builds the report from wgpu's adapter info.
    pub fn from_info(info: &wgpu::AdapterInfo) -> Self {
        let device_type = match info.device_type {
            wgpu::DeviceType::DiscreteGpu => "discrete_gpu",
            wgpu::DeviceType::IntegratedGpu => "integrated_gpu",
            wgpu::DeviceType::VirtualGpu => "virtual_gpu",
            wgpu::DeviceType::Cpu => "cpu",
            wgpu::DeviceType::Other => "other",
        };
        AdapterReport {
            name: info.name.clone(),
            backend: info.backend.to_str().to_string(),
            device_type: device_type.to_string(),
            driver: format!("{} {}", info.driver, info.driver_info)
                .trim()
                .to_string(),
        }
    }
}

/// What the engine needs from a device. Checked when a context is created or borrowed.
#[derive(Debug, Clone)]
pub struct Requirements {
    /// Features that must be enabled.
    pub features: wgpu::Features,
    /// Storage buffers bound in one compute stage by the largest kernel.
    pub storage_buffers_per_stage: u32,
    /// Invocations per workgroup used by the kernels.
    pub invocations_per_workgroup: u32,
}

impl Default for Requirements {
    fn default() -> Self {
        // The env step kernel binds 7 storage buffers; the WebGPU default is 8.
        Requirements {
            features: wgpu::Features::empty(),
            storage_buffers_per_stage: 8,
            invocations_per_workgroup: 256,
        }
    }
}

impl Requirements {
    /// Names every feature and limit that `features`/`limits` fall short of.
    pub fn missing(&self, features: wgpu::Features, limits: &wgpu::Limits) -> Vec<String> {
        let mut out = Vec::new();
        let absent = self.features - features;
        if !absent.is_empty() {
            out.push(format!("features {absent:?} are not enabled"));
        }
        if limits.max_storage_buffers_per_shader_stage < self.storage_buffers_per_stage {
            out.push(format!(
                "max_storage_buffers_per_shader_stage is {} but the engine binds up to {}",
                limits.max_storage_buffers_per_shader_stage, self.storage_buffers_per_stage
            ));
        }
        if limits.max_compute_invocations_per_workgroup < self.invocations_per_workgroup {
            out.push(format!(
                "max_compute_invocations_per_workgroup is {} but kernels use {}",
                limits.max_compute_invocations_per_workgroup, self.invocations_per_workgroup
            ));
        }
        if limits.max_compute_workgroup_size_x < self.invocations_per_workgroup {
            out.push(format!(
                "max_compute_workgroup_size_x is {} but kernels use {}",
                limits.max_compute_workgroup_size_x, self.invocations_per_workgroup
            ));
        }
        out
    }
}

/// How to pick an adapter when the engine creates its own device.
#[derive(Debug, Clone, Default)]
pub struct ContextOptions {
    /// Backends to consider; `None` honours `WGPU_BACKEND` and otherwise allows all.
    pub backends: Option<wgpu::Backends>,
    /// Case-insensitive substring of the adapter name; `None` honours `WGPU_ADAPTER_NAME`.
    pub adapter_name: Option<String>,
    /// What the engine needs (defaults are enough for every built-in kernel).
    pub requirements: Requirements,
}

#[derive(Debug, Default)]
struct Counters {
    host_readbacks: AtomicU64,
    blocking_waits: AtomicU64,
}

/// The engine's handle on a GPU: device, queue, adapter report and counters.
///
/// Cloning is cheap and shares the device and the counters.
#[derive(Clone, Debug)]
pub struct Context {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter: AdapterReport,
    info: wgpu::AdapterInfo,
    counters: Arc<Counters>,
}

/// Text appended to "no adapter" errors: how to get a software Vulkan driver.
pub const INSTALL_HINT: &str = "No GPU adapter was found. On Debian/Ubuntu install Mesa's software \
Vulkan driver with `apt-get update && apt-get install -y mesa-vulkan-drivers` (or run `make train`, \
which does it for you); on other systems install your GPU's Vulkan, Metal or DX12 driver.";

impl Context {
    /// Creates an instance, picks an adapter (a high-performance GPU first, then any
    /// other GPU, then a CPU adapter such as lavapipe) and opens a device with the
    /// adapter's real limits.
    ///
    /// `WGPU_BACKEND` (e.g. `vulkan`, `gl`) and `WGPU_ADAPTER_NAME` (a substring of the
    /// adapter name) are honoured unless `options` sets them.
    pub fn new(options: &ContextOptions) -> Result<Self> {
        pollster::block_on(Self::new_async(options))
    }

    /// Async form of [`Context::new`].
    pub async fn new_async(options: &ContextOptions) -> Result<Self> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        if let Some(b) = options.backends {
            desc.backends = b;
        }
        let instance = wgpu::Instance::new(desc);
        let adapters = instance.enumerate_adapters(wgpu::Backends::all()).await;
        let wanted = options
            .adapter_name
            .clone()
            .or_else(|| std::env::var("WGPU_ADAPTER_NAME").ok())
            .filter(|s| !s.is_empty());
        let adapter = pick_adapter(adapters, wanted.as_deref())?;
        let info = adapter.get_info();
        let missing = options
            .requirements
            .missing(adapter.features(), &adapter.limits());
        if !missing.is_empty() {
            return Err(GpuError::Unsupported(format!(
                "adapter {} cannot run the engine: {}",
                info.name,
                missing.join("; ")
            )));
        }
        // Optional, enabled when the adapter has them: timestamps for the profiler,
        // subgroups for the CPU adapter's dense layers (see `subgroup_size`).
        let optional = wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::SUBGROUP;
        let features = options.requirements.features | (adapter.features() & optional);
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("wgrl"),
                required_features: features,
                required_limits: adapter.limits(),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|e| GpuError::RequestDevice {
                adapter: info.name.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self::assemble(device, queue, info))
    }

    /// Wraps a device and queue that the caller already owns. The engine creates no
    /// instance and uses only the features and limits the caller enabled; any that
    /// fall short of `requirements` are named in the error.
    pub fn from_device(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        adapter_info: &wgpu::AdapterInfo,
        requirements: &Requirements,
    ) -> Result<Self> {
        let missing = requirements.missing(device.features(), &device.limits());
        if !missing.is_empty() {
            return Err(GpuError::Unsupported(format!(
                "the host's device cannot run the engine: {}; enable them when requesting the device \
                 (e.g. `required_limits: adapter.limits()`)",
                missing.join("; ")
            )));
        }
        Ok(Self::assemble(
            device.clone(),
            queue.clone(),
            adapter_info.clone(),
        ))
    }

    fn assemble(device: wgpu::Device, queue: wgpu::Queue, info: wgpu::AdapterInfo) -> Self {
        Context {
            device,
            queue,
            adapter: AdapterReport::from_info(&info),
            info,
            counters: Arc::default(),
        }
    }

    /// wgpu's full adapter info.
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// The device.
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }
    /// The queue.
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }
    /// The adapter report (name, backend, device type).
    pub fn adapter(&self) -> &AdapterReport {
        &self.adapter
    }
    /// The device's limits (what was requested, which is what may be used).
    pub fn limits(&self) -> wgpu::Limits {
        self.device.limits()
    }
    /// The device's enabled features.
    pub fn features(&self) -> wgpu::Features {
        self.device.features()
    }

    /// Lanes per subgroup when the device has [`wgpu::Features::SUBGROUP`] enabled
    /// and the adapter runs every subgroup at one size; `None` otherwise.
    pub fn subgroup_size(&self) -> Option<u32> {
        let (lo, hi) = (self.info.subgroup_min_size, self.info.subgroup_max_size);
        (self.features().contains(wgpu::Features::SUBGROUP) && lo == hi && lo > 0).then_some(lo)
    }

    /// Invocations of a workgroup that run as one instruction stream:
    /// `Some(lanes)` on llvmpipe (lavapipe, Mesa's CPU driver), which runs each
    /// workgroup on one thread, `lanes` invocations (its subgroup size) at a time
    /// in SIMD. A workgroup of at most `lanes` invocations is a single SIMD group:
    /// every invocation sees the others' memory operations in program order, so
    /// its barriers order nothing, yet each makes llvmpipe compile the kernel as a
    /// coroutine that keeps its variables in memory across them. Kernels of such
    /// workgroups leave their barriers out
    /// ([`common::barriers`](crate::shader::common::barriers)). `None` on every
    /// other adapter.
    pub fn lockstep_lanes(&self) -> Option<u32> {
        let (lo, hi) = (self.info.subgroup_min_size, self.info.subgroup_max_size);
        (self.is_llvmpipe() && lo == hi && lo > 0).then_some(lo)
    }

    /// Whether the adapter is Mesa's llvmpipe (lavapipe on Vulkan), whose
    /// compute pool [`crate::llvmpipe`] sizes.
    pub fn is_llvmpipe(&self) -> bool {
        self.adapter.device_type == "cpu"
            && (self.info.driver == "llvmpipe" || self.info.name.starts_with("llvmpipe"))
    }

    /// Whether per-pass GPU timestamps are available for profiling.
    pub fn has_timestamps(&self) -> bool {
        self.device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
    }

    /// Blocks until all submitted work is done. Counted as a blocking wait.
    pub fn wait(&self) -> Result<()> {
        self.counters.blocking_waits.fetch_add(1, Ordering::Relaxed);
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| GpuError::Readback(e.to_string()))
    }

    /// Blocks until `submission` is done. Counted as a blocking wait.
    pub fn wait_for(&self, submission: wgpu::SubmissionIndex) -> Result<()> {
        self.counters.blocking_waits.fetch_add(1, Ordering::Relaxed);
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(submission),
                timeout: None,
            })
            .map(|_| ())
            .map_err(|e| GpuError::Readback(e.to_string()))
    }

    /// Non-blocking poll: lets finished map callbacks run. Not counted.
    pub fn poll(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::Poll)
            .map(|_| ())
            .map_err(|e| GpuError::Readback(e.to_string()))
    }

    /// Number of GPU-to-host copies read so far.
    pub fn host_readbacks(&self) -> u64 {
        self.counters.host_readbacks.load(Ordering::Relaxed)
    }
    /// Number of times the host blocked on the GPU so far.
    pub fn blocking_waits(&self) -> u64 {
        self.counters.blocking_waits.load(Ordering::Relaxed)
    }
    pub(crate) fn count_readback(&self) {
        self.counters.host_readbacks.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `f` inside a validation + out-of-memory error scope and turns any wgpu
    /// error into [`GpuError::Wgpu`] instead of wgpu's default panic.
    pub fn checked<T>(&self, what: &str, f: impl FnOnce(&wgpu::Device) -> T) -> Result<T> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let value = f(&self.device);
        let v = pollster::block_on(validation.pop());
        let o = pollster::block_on(oom.pop());
        match v.or(o) {
            None => Ok(value),
            Some(e) => Err(GpuError::Wgpu {
                what: what.to_string(),
                reason: e.to_string(),
            }),
        }
    }
}

fn device_rank(t: wgpu::DeviceType) -> u32 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

fn backend_rank(b: wgpu::Backend) -> u32 {
    // Native compute backends before GL, which lacks several compute features.
    match b {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    }
}

/// Chooses the best adapter, optionally restricted to names containing `wanted`.
fn pick_adapter(adapters: Vec<wgpu::Adapter>, wanted: Option<&str>) -> Result<wgpu::Adapter> {
    if adapters.is_empty() {
        return Err(GpuError::NoAdapter(INSTALL_HINT.to_string()));
    }
    let names: Vec<String> = adapters
        .iter()
        .map(|a| {
            let i = a.get_info();
            format!("{} ({})", i.name, i.backend.to_str())
        })
        .collect();
    let mut candidates: Vec<wgpu::Adapter> = match wanted {
        Some(w) => {
            let w = w.to_lowercase();
            adapters
                .into_iter()
                .filter(|a| a.get_info().name.to_lowercase().contains(&w))
                .collect()
        }
        None => adapters,
    };
    if candidates.is_empty() {
        return Err(GpuError::NoAdapter(format!(
            "no adapter name contains {:?} (from WGPU_ADAPTER_NAME or --adapter); available: {}",
            wanted.unwrap_or_default(),
            names.join(", ")
        )));
    }
    candidates.sort_by_key(|a| {
        let i = a.get_info();
        (device_rank(i.device_type), backend_rank(i.backend))
    });
    Ok(candidates.remove(0))
}
