// Categorical policy head, update side: log-probability and entropy of the
// sample's stored action under the new logits, and the loss gradient with
// respect to the logits.

struct HeadEval {
    logp: f32,
    entropy: f32,
    lse: f32, // log-sum-exp of the logits
}

fn head_begin() {}

fn head_eval(logits: u32, s: u32, row: u32, tr: Transition, pb: u32) -> HeadEval {
    var mx = sget(logits, s);
    for (var k = 1u; k < NUM_ACTIONS; k++) {
        mx = max(mx, sget(logits + k * M4, s));
    }
    var total = 0.0;
    for (var k = 0u; k < NUM_ACTIONS; k++) {
        total += exp(sget(logits + k * M4, s) - mx);
    }
    let lse = mx + log(total);
    var entropy = 0.0;
    for (var k = 0u; k < NUM_ACTIONS; k++) {
        let lp = sget(logits + k * M4, s) - lse;
        entropy -= exp(lp) * lp;
    }
    return HeadEval(sget(logits + tr.action * M4, s) - lse, entropy, lse);
}

// d(loss)/d(logits) of sample s into `dout`, given d(loss)/d(logp) = dlogp and
// the entropy bonus (loss term -ent_coef * entropy), each divided by M.
fn head_grad(logits: u32, dout: u32, s: u32, row: u32, tr: Transition, pb: u32, he: HeadEval, dlogp: f32, ent_coef: f32, inv_m: f32) {
    for (var k = 0u; k < NUM_ACTIONS; k++) {
        let lp = sget(logits + k * M4, s) - he.lse;
        let pk = exp(lp);
        let onehot = select(0.0, 1.0, k == tr.action);
        let dl = dlogp * (onehot - pk) + ent_coef * pk * (lp + he.entropy);
        sset(dout + k * M4, s, dl * inv_m);
    }
}

fn head_zero(dout: u32, s: u32) {
    for (var k = 0u; k < NUM_ACTIONS; k++) {
        sset(dout + k * M4, s, 0.0);
    }
}

fn head_finish(lid: u32, gb: u32, ent_coef: f32) {}
