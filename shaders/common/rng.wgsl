// Counter-based random numbers keyed by (seed, agent, env, step, stream).
// No RNG state lives on the host or between dispatches: any draw can be
// recomputed from its key, so the same seed on the same device gives the same run.
//
// The mixing function is pcg4d from Jarzynski & Olano, "Hash Functions for GPU
// Rendering", JCGT 9(3), 2020: a 4-in/4-out hash with good statistical quality
// for its cost (about a dozen integer multiplies).

fn pcg4d(v_in: vec4<u32>) -> vec4<u32> {
    var v = v_in * 1664525u + 1013904223u;
    v.x += v.y * v.w;
    v.y += v.z * v.x;
    v.z += v.x * v.y;
    v.w += v.y * v.z;
    v ^= v >> vec4<u32>(16u);
    v.x += v.y * v.w;
    v.y += v.z * v.x;
    v.z += v.x * v.y;
    v.w += v.y * v.z;
    return v;
}

// Streams keep draws for different purposes apart even at the same step.
const STREAM_RESET: u32 = 0u;
const STREAM_ACTION: u32 = 1u;
const STREAM_SHUFFLE: u32 = 2u;
const STREAM_INIT: u32 = 3u;
const STREAM_TASK: u32 = 4u;  // task parameters sampled at resets

// The slowly varying part of the key, hashed once per invocation.
fn rng_key(seed: u32, agent: u32, stream: u32) -> vec4<u32> {
    return pcg4d(vec4<u32>(seed, agent, stream, 0x9e3779b9u));
}

struct Rng {
    key: vec4<u32>,
    env: u32,
    step: u32,
    ctr: u32,
}

fn rng_at(key: vec4<u32>, env: u32, step: u32) -> Rng {
    return Rng(key, env, step, 0u);
}

fn rng_new(seed: u32, agent: u32, env: u32, step: u32, stream: u32) -> Rng {
    return rng_at(rng_key(seed, agent, stream), env, step);
}

// Four fresh 32-bit words; successive calls advance the block counter.
fn rng_next4(r: ptr<function, Rng>) -> vec4<u32> {
    let k = (*r).key;
    let out = pcg4d(vec4<u32>((*r).env ^ k.x, (*r).step ^ k.y, (*r).ctr ^ k.z, k.w));
    (*r).ctr += 1u;
    return out;
}

// Uniforms in the open interval (0, 1): 24 bits, centred in their bucket, so
// log() in Box-Muller never sees 0 and the mean is exactly 1/2.
fn u32_to_unit(x: vec4<u32>) -> vec4<f32> {
    return (vec4<f32>(x >> vec4<u32>(8u)) + 0.5) * (1.0 / 16777216.0);
}

fn rng_uniform4(r: ptr<function, Rng>) -> vec4<f32> {
    return u32_to_unit(rng_next4(r));
}

fn rng_uniform(r: ptr<function, Rng>) -> f32 {
    return rng_uniform4(r).x;
}

// Four standard normals by Box-Muller on two pairs of uniforms.
fn rng_normal4(r: ptr<function, Rng>) -> vec4<f32> {
    let u = rng_uniform4(r);
    let rad = sqrt(-2.0 * log(u.xz));
    let ang = 6.283185307179586 * u.yw;
    return vec4<f32>(rad.x * cos(ang.x), rad.x * sin(ang.x), rad.y * cos(ang.y), rad.y * sin(ang.y));
}
