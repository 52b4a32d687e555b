#ifndef PLASTICITY_REFERENCE_H
#define PLASTICITY_REFERENCE_H
/*
 * Hand-written e-prop for one recurrent LIF or ALIF layer with a leaky readout and
 * cross-entropy at every labelled step — the benchmark's yardstick for the generated kernels,
 * written the way a person would write it for these two models, compiled -O3.
 * Same math as `plasticity_network_run` for `Models.lif()` / `Models.alif()` with a recurrent
 * projection and symmetric feedback (a test checks the gradients agree):
 *
 *   I_j = Σ_i W_in[j,i] x_i + Σ_i W_rec[j,i] z^{t-1}_i            (active inputs only)
 *   v_j = α (v_j − v_th z^{t-1}_j) + I_j,   a_j = ρ a_j + z^{t-1}_j  (ALIF)
 *   g_j = (v_j − v_th − β a_j) / v_th,      z_j = Θ(g_j),  ψ_j = σ'(g_j) / v_th
 *   x̄_i = α x̄_i + x_i                      (ε_v: one presynaptic trace per input, shared by all j)
 *   ε_a,ji = σ'(g^{t-1}_j)/v_th · x̄^{t-1}_i + (ρ − β σ'(g^{t-1}_j)/v_th) ε_a,ji   (ALIF)
 *   ē_ji = κ ē_ji + ψ_j (x̄_i − β ε_a,ji)
 *   y_o = κ y_o + b_o + Σ_j W_out[o,j] z_j,  err = softmax(y) − onehot,  L_j = Σ_o W_out[o,j] err_o
 *   ∇W += L_j ē_ji,  ∇W_out[o,j] += err_o z̄_j,  ∇b_o += err_o Σ κ^k
 */

typedef struct plasticity_reference_args {
    int alif;                          /* 0: LIF (fast-sigmoid surrogate), 1: ALIF (piecewise linear) */
    int batch, n_in, n, n_out, n_steps;
    float alpha, rho, beta, threshold, surrogate_scale, kappa;
    const float *input;                /* [n_steps][batch][n_in] */
    const float *targets;              /* [n_steps][batch] class index; < 0: no loss at that step */
    const float *w_in, *w_rec;         /* [n][n_in], [n][n] */
    const float *w_out, *b_out;        /* [n_out][n], [n_out] */
    float *grad_in, *grad_rec;         /* accumulated (+=), same shapes */
    float *grad_out, *grad_bias;
    double loss;                       /* out: Σ −log p_label */
} plasticity_reference_args;

/* 0, or -1 when its scratch memory cannot be allocated. */
int plasticity_reference_eprop(plasticity_reference_args *r);
#endif
