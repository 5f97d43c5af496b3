// Backward of the norm layers of norm_forward.wgsl (same layout and kinds): the
// input gradient, and the affine parameters' gradients written into `opt` at base `gb`.

// (xhat, g) of feature k: g = dy * gamma for standard kinds, which rebuild xhat
// from their input; MS kinds read xhat = y.
fn norm_terms(N: NormL, pb: u32, x: u32, y: u32, dy: u32, k: u32, j: u32, m4: u32, mean: vec4<f32>, r: vec4<f32>) -> array<vec4<f32>, 2> {
    let d = scratch[dy + k * m4 + j];
    if (N.kind >= 2u) {
        return array<vec4<f32>, 2>(scratch[y + k * m4 + j], d);
    }
    return array<vec4<f32>, 2>((scratch[x + k * m4 + j] - mean) * r, d * param_at(pb + N.g + k));
}

// dx = r (g - mean(g) - xhat mean(g xhat)) (mean(g) only for centred kinds),
// times the derivative of the activation that produced x when `x_act` (`xsave`
// is that layer's save region), added to what dx holds when `accumulate` (a
// residual stream's gradient).
fn norm_backward(lid: u32, N: NormL, pb: u32, x: u32, y: u32, st: u32, dy: u32, dx: u32, m4: u32, xsave: u32, x_act: bool, accumulate: bool) {
    let n = f32(N.h);
    for (var j = lid; j < m4; j += WG) {
        let r = scratch[st + j];
        var mean = vec4<f32>(0.0);
        if (N.kind == 0u) {
            mean = scratch[st + m4 + j];
        }
        var g_sum = vec4<f32>(0.0);
        var gy_sum = vec4<f32>(0.0);
        for (var k = 0u; k < N.h; k++) {
            let t = norm_terms(N, pb, x, y, dy, k, j, m4, mean, r);
            g_sum += t[1];
            gy_sum += t[1] * t[0];
        }
        var g_mean = g_sum / n;
        if (!norm_centred(N)) {
            g_mean = vec4<f32>(0.0);
        }
        let gy_mean = gy_sum / n;
        for (var k = 0u; k < N.h; k++) {
            let t = norm_terms(N, pb, x, y, dy, k, j, m4, mean, r);
            var d = r * (t[1] - g_mean - t[0] * gy_mean);
            if (x_act) {
                d *= act_deriv4(x, xsave, k, j, m4);
            }
            if (accumulate) {
                d += scratch[dx + k * m4 + j];
            }
            scratch[dx + k * m4 + j] = d;
        }
    }
}

// Gradients of gamma (and LayerNorm's beta), written to `opt` at base `gb`:
// dgamma[k] = sum of dy xhat, dbeta[k] = sum of dy over the samples. Standard kinds only.
fn norm_affine_grad(lid: u32, N: NormL, gb: u32, x: u32, st: u32, dy: u32, m4: u32) {
    for (var k = lid; k < N.h; k += WG) {
        var dg = vec4<f32>(0.0);
        var db = vec4<f32>(0.0);
        for (var j = 0u; j < m4; j++) {
            var mean = vec4<f32>(0.0);
            if (N.kind == 0u) {
                mean = scratch[st + m4 + j];
            }
            let d = scratch[dy + k * m4 + j];
            dg += d * (scratch[x + k * m4 + j] - mean) * scratch[st + j];
            db += d;
        }
        opt_set(gb + N.g + k, (dg.x + dg.y) + (dg.z + dg.w));
        if (N.kind == 0u) {
            opt_set(gb + N.b + k, (db.x + db.y) + (db.z + db.w));
        }
    }
}
