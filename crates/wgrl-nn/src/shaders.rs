//! The network WGSL pieces in `shaders/nn`, embedded at build time.

/// Hidden activations and their derivatives (from the output).
pub const ACTIVATIONS: (&str, &str) = (
    "shaders/nn/activations.wgsl",
    include_str!("../../../shaders/nn/activations.wgsl"),
);
/// Workgroup-cooperative dense layer forward over a batch, feature-major with 4
/// samples per vec4.
pub const DENSE_FORWARD: (&str, &str) = (
    "shaders/nn/dense_forward.wgsl",
    include_str!("../../../shaders/nn/dense_forward.wgsl"),
);
/// `param_at(i)` over a storage binding named `params` (what the forward
/// pieces read parameters through; see the file).
pub const PARAMS_STORAGE: (&str, &str) = (
    "shaders/nn/params_storage.wgsl",
    include_str!("../../../shaders/nn/params_storage.wgsl"),
);
/// `opt_at(i)`, `opt4_at(i)` and their setters over a storage binding named
/// `opt` (gradients and Adam moments; see the file).
pub const OPT_STORAGE: (&str, &str) = (
    "shaders/nn/opt_storage.wgsl",
    include_str!("../../../shaders/nn/opt_storage.wgsl"),
);
/// Its backward: input gradient and weight gradient.
pub const DENSE_BACKWARD: (&str, &str) = (
    "shaders/nn/dense_backward.wgsl",
    include_str!("../../../shaders/nn/dense_backward.wgsl"),
);
/// The dense layers' paths for 8-lane subgroups (see [`crate::kernels::DenseKernels`]).
pub const DENSE_SUBGROUP: (&str, &str) = (
    "shaders/nn/dense_subgroup.wgsl",
    include_str!("../../../shaders/nn/dense_subgroup.wgsl"),
);
/// Their backward (input and weight gradients).
pub const DENSE_SUBGROUP_BACKWARD: (&str, &str) = (
    "shaders/nn/dense_subgroup_backward.wgsl",
    include_str!("../../../shaders/nn/dense_subgroup_backward.wgsl"),
);
/// What composes in place of [`DENSE_SUBGROUP`] without subgroups (never called).
pub const DENSE_SUBGROUP_OFF: (&str, &str) = (
    "shaders/nn/dense_subgroup_off.wgsl",
    include_str!("../../../shaders/nn/dense_subgroup_off.wgsl"),
);
/// What composes in place of [`DENSE_SUBGROUP_BACKWARD`] without subgroups.
pub const DENSE_SUBGROUP_BACKWARD_OFF: (&str, &str) = (
    "shaders/nn/dense_subgroup_backward_off.wgsl",
    include_str!("../../../shaders/nn/dense_subgroup_backward_off.wgsl"),
);
/// Workgroup reductions, global grad-norm and Adam.
pub const OPTIM: (&str, &str) = (
    "shaders/nn/optim.wgsl",
    include_str!("../../../shaders/nn/optim.wgsl"),
);
/// Standalone kernel running one phase of `dense.wgsl` / `optim.wgsl` (tests, benches).
pub const NN_TEST: (&str, &str) = (
    "shaders/nn/nn_test.wgsl",
    include_str!("../../../shaders/nn/nn_test.wgsl"),
);
/// Activation functions, exact derivatives, Approx-BP states and slopes.
pub const ACT_FNS: (&str, &str) = (
    "shaders/nn/act_fns.wgsl",
    include_str!("../../../shaders/nn/act_fns.wgsl"),
);
/// Standalone activation kernel (tests, benches).
pub const ACT_TEST: (&str, &str) = (
    "shaders/nn/act_test.wgsl",
    include_str!("../../../shaders/nn/act_test.wgsl"),
);
/// Standalone kernel running the norm layers' passes (tests, benches).
pub const NORMS: (&str, &str) = (
    "shaders/nn/norms.wgsl",
    include_str!("../../../shaders/nn/norms.wgsl"),
);
/// Norm layers' forward inside the fused kernels (the dense layers' layout).
pub const NORM_FORWARD: (&str, &str) = (
    "shaders/nn/norm_forward.wgsl",
    include_str!("../../../shaders/nn/norm_forward.wgsl"),
);
/// Their backward: input gradient and affine-parameter gradients.
pub const NORM_BACKWARD: (&str, &str) = (
    "shaders/nn/norm_backward.wgsl",
    include_str!("../../../shaders/nn/norm_backward.wgsl"),
);
/// The interpreter of a generated table of forward steps (dense layers, norms).
pub const NET_FORWARD: (&str, &str) = (
    "shaders/nn/net_forward.wgsl",
    include_str!("../../../shaders/nn/net_forward.wgsl"),
);
/// The interpreter of a generated table of backward steps.
pub const NET_BACKWARD: (&str, &str) = (
    "shaders/nn/net_backward.wgsl",
    include_str!("../../../shaders/nn/net_backward.wgsl"),
);
