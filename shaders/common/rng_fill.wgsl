// Fills `out` with RNG draws for the statistical tests and the RNG bench.
// Invocation i covers (env = i % envs, step = i / envs) for one (seed, agent, stream);
// each writes four values: uniforms (mode 0), normals (mode 1) or raw words (mode 2).
// Mode 3 tests shuffles instead: invocation i writes perm_index(i, count) of the
// shuffle keyed by (seed, agent, iteration = step0, epoch = envs) in its first word.

struct FillParams {
    seed: u32,
    agent: u32,
    stream: u32,
    envs: u32,
    count: u32,
    mode: u32,
    step0: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> P: FillParams;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<u32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    if (i >= P.count) {
        return;
    }
    var r = rng_new(P.seed, P.agent, i % P.envs, P.step0 + i / P.envs, P.stream);
    switch P.mode {
        case 0u: {
            out[i] = bitcast<vec4<u32>>(rng_uniform4(&r));
        }
        case 1u: {
            out[i] = bitcast<vec4<u32>>(rng_normal4(&r));
        }
        case 3u: {
            let key = shuffle_key(P.seed, P.agent, P.step0, P.envs);
            out[i] = vec4<u32>(perm_index(i, P.count, feistel_half_bits(P.count), key), 0u, 0u, 0u);
        }
        default: {
            out[i] = rng_next4(&r);
        }
    }
}
