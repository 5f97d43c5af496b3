// Random permutations without sorting or state: a 4-round Feistel network over
// [0, 4^h) keyed from the counter-based RNG, with cycle-walking down to [0, n).
// perm_index(i) for i in 0..n visits every index in 0..n exactly once.

fn feistel(x: u32, h: u32, key: vec4<u32>) -> u32 {
    let mask = (1u << h) - 1u;
    var l = x >> h;
    var r = x & mask;
    for (var k = 0u; k < 4u; k++) {
        let f = pcg4d(vec4<u32>(r, key.x, key.y ^ k, key.z)).x & mask;
        let next = l ^ f;
        l = r;
        r = next;
    }
    return (l << h) | r;
}

// Half the bit width of the smallest power of 4 that holds n.
fn feistel_half_bits(n: u32) -> u32 {
    var h = 0u;
    while (h < 16u && (1u << (2u * h)) < n) {
        h++;
    }
    return h;
}

// The key of agent `agent`'s shuffle at (iteration, epoch): one permutation per
// epoch of every update (CPU reference: wgrl_gpu::rng::shuffle_key).
fn shuffle_key(seed: u32, agent: u32, iteration: u32, epoch: u32) -> vec4<u32> {
    let k = rng_key(seed, agent, STREAM_SHUFFLE);
    return vec4<u32>(k.x ^ iteration, k.y ^ (epoch << 2u), k.z, k.w);
}

fn perm_index(i: u32, n: u32, h: u32, key: vec4<u32>) -> u32 {
    var x = feistel(i, h, key);
    // The domain is under 4n, so this loops about once on average.
    while (x >= n) {
        x = feistel(x, h, key);
    }
    return x;
}
