// Compiled CPU loops of the two recurrences in snnx_torch/fused/scan.py.
//
// The Python module documents the equations; this file runs the same arithmetic, in the
// same order of operations (so the forward pass is bit-identical to the step loop), as
// one loop over time per block of neurons instead of a handful of tensor operations per
// step. Every array is contiguous: sequences are [T, M] (M neurons of one step, time
// major), states and parameters [M], or one value shared by every neuron (a bit of
// `broadcast` says which, so a scalar parameter is never copied out per call). Gradient
// inputs may instead be one broadcast value (time and element strides 0). Without
// `record`, the membrane scan keeps only the last step's potential and its backward pass
// recomputes the sequence from the input, a block of neurons at a time in a per-thread
// buffer, instead of reading a saved [T, M] array. Work is split over `threads` OpenMP
// threads by neurons; each thread walks time for CHUNK neurons at a time, whose states
// stay in cache.
//
// Built by snnx_torch/fused/native/__init__.py with -O3 -ffp-contract=off (no fused
// multiply-add, which would change rounding) and -fopenmp, and loaded through ctypes.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace {

constexpr int64_t CHUNK = 512;

enum Mechanism { SUBTRACT = 0, ZERO = 1, NONE = 2 };

enum Surrogate {
  NO_GRADIENT = 0,
  ATAN = 1,
  FAST_SIGMOID = 2,
  SIGMOID = 3,
  STRAIGHT_THROUGH = 4,
  TRIANGULAR = 5,
  HEAVISIDE = 6,
  SPIKE_RATE_ESCAPE = 7,
  SPARSE_FAST_SIGMOID = 8,
  LEAKY_SPIKE_OPERATOR = 9,
};

// Runs body(begin, end) over [0, m) split into at most `threads` ranges of whole chunks, each with at
// least MIN_WORK elements over the `steps` time steps: waking a thread costs more than a small pass (one
// time step of a few thousand neurons) takes. OpenMP from the runtime torch has loaded (the soname is
// shared), so the threads are torch's own intra-op threads: no second pool competing for the cores.
constexpr int64_t MIN_WORK = int64_t{1} << 15;

template <class Body>
void parallel(int64_t steps, int64_t m, int threads, Body body) {
  const int64_t chunks = (m + CHUNK - 1) / CHUNK;
  const int64_t by_work = std::max<int64_t>(1, steps * m / MIN_WORK);
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>({int64_t{threads}, chunks / 4, by_work}));
  if (parts == 1) {
    body(0, m);
    return;
  }
#pragma omp parallel for num_threads(parts) schedule(static, 1)
  for (int64_t part = 0; part < parts; ++part) {
    const int64_t begin = chunks * part / parts * CHUNK;
    const int64_t end = std::min(m, chunks * (part + 1) / parts * CHUNK);
    body(begin, end);
  }
}

// A gradient input: values[t * time_stride + i * element_stride], or absent (nullptr: zeros).
// Only two layouts occur: contiguous [T, M] (strides M, 1) and one broadcast value (0, 0).
// With `last_only` it is the gradient of the last step alone (rows before it are zeros).
template <class T>
struct Grad {
  const T* values;
  int64_t time_stride;
  int64_t element_stride;
  bool last_only;
};

// Row t of chunk [a, a + n) of a gradient input, as a contiguous array (in `scratch` unless it is one).
// A gradient that is the same every step (none, or one broadcast value) is written to `scratch` once
// per chunk: `ready` says it is there already.
template <class T>
const T* grad_row(const Grad<T>& grad, int64_t t, int64_t steps, int64_t a, int64_t n, T* scratch, bool& ready) {
  const bool constant = grad.values == nullptr || (!grad.last_only && grad.element_stride == 0 && grad.time_stride == 0);
  if (constant && ready) return scratch;
  ready = constant;
  if (grad.values == nullptr || (grad.last_only && t != steps - 1)) {
    std::fill(scratch, scratch + n, T(0));
    return scratch;
  }
  const T* row = grad.values + (grad.last_only ? 0 : t * grad.time_stride);
  if (grad.element_stride != 0) return row + a;
  std::fill(scratch, scratch + n, row[0]);
  return scratch;
}

// A [T, M] sequence as a kernel writes or reads it: element i of step t is data[t * step + i - base].
// step = M, base = 0: the whole sequence; step = 0: one [M] array every step overwrites (the last
// step stays); step = n, base = a: a block of n neurons from neuron a, in a small buffer.
template <class T>
struct Rows {
  T* data;
  int64_t step;
  int64_t base;
  T* row(int64_t t, int64_t a) const { return data + t * step + a - base; }
};

// Which of the per-neuron inputs hold one value for every neuron instead of an [M] array.
struct Broadcast {
  bool initial;  // mem0 / state0
  bool decay;
  bool theta;
  bool factor;
  int64_t bias_period;  // the bias of neuron i is bias[i % bias_period] (M: an [M] array; 1: one value)
  static Broadcast from_bits(int bits, int64_t bias_period = 1) {
    return {(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0, bias_period};
  }
};

// Neurons [a, a + n) of a bias repeating every `period` neurons (a layer's bias over a batch): a piece of
// the array itself when it does not wrap around, else `buffer` filled from it.
template <class T>
const T* spread_periodic(const T* values, int64_t period, int64_t a, int64_t n, T* buffer) {
  const int64_t start = a % period;
  if (start + n <= period) return values + start;
  for (int64_t j = 0; j < n; ++j) buffer[j] = values[(a + j) % period];
  return buffer;
}

// Neurons [a, a + n) of a per-neuron input: the array itself, or `buffer` filled with its single value.
template <class T>
const T* spread(const T* values, bool single, int64_t a, int64_t n, T* buffer) {
  if (!single) return values + a;
  std::fill(buffer, buffer + n, values[0]);
  return buffer;
}

// Rows of a [T, M] sequence are M elements apart, so a block of neurons reads a short piece of each
// row, which the hardware prefetcher does not follow across rows: ask for the piece PREFETCH_STEPS
// steps ahead while working on this one.
constexpr int64_t PREFETCH_STEPS = 2;

template <class T>
inline void prefetch_row(const T* row, int64_t n) {
  constexpr int64_t line = 64 / sizeof(T);
  for (int64_t j = 0; j < n; j += line) __builtin_prefetch(row + j);
}

// Row t of a gradient input, when it is a [T, M] array (a broadcast value or the last step alone is not).
template <class T>
inline void prefetch_grad(const Grad<T>& grad, int64_t t, int64_t a, int64_t n) {
  if (grad.values != nullptr && grad.element_stride != 0 && !grad.last_only)
    prefetch_row(grad.values + t * grad.time_stride + a, n);
}

// A per-thread buffer of at least `size` elements, kept for the next call (no allocation per call).
template <class T>
T* thread_buffer(std::size_t size) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

// out[j] = dS/du at u = v[j] - theta[j] for the surrogate `kind` with parameters p.
template <class T>
void slopes(int kind, const double* p, const T* __restrict__ v, const T* __restrict__ theta, T* __restrict__ out,
            int64_t n) {
  const T p0 = static_cast<T>(p[0]), p1 = static_cast<T>(p[1]);
  switch (kind) {
    case ATAN: {
      const T width = static_cast<T>(M_PI / 2 * p[0]), peak = static_cast<T>(p[0] / 2);
      for (int64_t j = 0; j < n; ++j) {
        T scaled = (v[j] - theta[j]) * width;
        scaled = scaled * scaled;
        out[j] = peak / (scaled + T(1));
      }
      return;
    }
    case FAST_SIGMOID:
      for (int64_t j = 0; j < n; ++j) {
        const T r = p0 * std::abs(v[j] - theta[j]) + T(1);
        out[j] = T(1) / (r * r);
      }
      return;
    case SIGMOID:
      for (int64_t j = 0; j < n; ++j) {
        const T s = T(1) / (T(1) + std::exp(-(p0 * (v[j] - theta[j]))));
        out[j] = p0 * s * (T(1) - s);
      }
      return;
    case STRAIGHT_THROUGH:
      std::fill(out, out + n, T(1));
      return;
    case TRIANGULAR:
      for (int64_t j = 0; j < n; ++j) out[j] = v[j] - theta[j] < T(0) ? p0 : -p0;
      return;
    case HEAVISIDE:
      for (int64_t j = 0; j < n; ++j) out[j] = static_cast<T>(v[j] - theta[j] > T(0));
      return;
    case SPIKE_RATE_ESCAPE:
      for (int64_t j = 0; j < n; ++j) out[j] = p1 * std::exp(-p0 * std::abs(v[j] - theta[j] - T(1)));
      return;
    case SPARSE_FAST_SIGMOID:
      for (int64_t j = 0; j < n; ++j) {
        const T u = v[j] - theta[j], r = p0 * std::abs(u) + T(1);
        out[j] = u > p1 ? T(1) / (r * r) : T(0);
      }
      return;
    case LEAKY_SPIKE_OPERATOR:
      for (int64_t j = 0; j < n; ++j) out[j] = v[j] - theta[j] > T(0) ? T(1) : p0;
      return;
    default:
      std::fill(out, out + n, T(0));
  }
}

// WRITE_SPIKES: false when recomputing for backward, which needs the potentials only.
// `bias` (null: none) is added to every step's input first: X[t] + b is the output of a layer whose bias
// snnx.run hands to the neuron instead of adding it in the layer (one pass over [T, M] fewer).
template <class T, int MECH, bool CORRECTS, bool ZERO_INPUT, bool WRITE_SPIKES = true>
void membrane_forward(const T* __restrict__ x, int64_t m, const T* __restrict__ mem0, const T* __restrict__ decay,
                      const T* __restrict__ theta, const T* __restrict__ factor, const T* __restrict__ bias,
                      Broadcast single, Rows<T> spk, Rows<T> mem, Rows<T> pre, int64_t steps, int64_t begin,
                      int64_t end) {
  T prev[CHUNK], c_values[CHUNK], th_values[CHUNK], g_values[CHUNK], b_values[CHUNK];
  for (int64_t a = begin; a < end; a += CHUNK) {
    const int64_t n = std::min(CHUNK, end - a);
    const T* initial = spread(mem0, single.initial, a, n, prev);
    if (initial != prev) std::copy(initial, initial + n, prev);
    const T* c = spread(decay, single.decay, a, n, c_values);
    const T* th = spread(theta, single.theta, a, n, th_values);
    const T* g = spread(factor, single.factor, a, n, g_values);
    const T* b = bias != nullptr ? spread_periodic(bias, single.bias_period, a, n, b_values) : nullptr;
    for (int64_t t = 0; t < steps; ++t) {
      const T* __restrict__ xt = x + t * m + a;
      T* __restrict__ st = spk.row(t, a);
      T* __restrict__ ut = mem.row(t, a);
      T* __restrict__ vt = pre.row(t, a);
      if (t + PREFETCH_STEPS < steps) {
        prefetch_row(xt + PREFETCH_STEPS * m, n);
        if (WRITE_SPIKES) prefetch_row(spk.row(t + PREFETCH_STEPS, a), n);
      }
      for (int64_t j = 0; j < n; ++j) {
        const T p = prev[j];
        const T drive = b != nullptr ? xt[j] + b[j] : xt[j];  // the loop is unswitched on b (-O3)
        T v, reset = T(0);
        if (MECH == ZERO && !ZERO_INPUT) {
          const T keep = static_cast<T>(p <= th[j]);
          v = p * keep;
          v = v * c[j];
          v = v + drive;
          reset = T(1) - keep;
        } else {
          v = p * c[j];
          v = v + drive;
          if (MECH == SUBTRACT) {
            reset = static_cast<T>(p > th[j]);
            v = v - reset * th[j];
          } else if (MECH == ZERO) {
            const T keep = static_cast<T>(p <= th[j]);
            v = v * keep;
            reset = T(1) - keep;
          }
        }
        const T fired = static_cast<T>(v > th[j]);
        T u = v;
        if (CORRECTS) {
          const T correction = fired - reset;
          u = MECH == SUBTRACT ? v - correction * th[j] : v - correction * v;
          vt[j] = v;
        }
        ut[j] = u;
        if (WRITE_SPIKES) st[j] = fired * g[j];
        prev[j] = u;
      }
    }
  }
}

// Per-neuron outputs of the backward pass; a null pointer is not wanted.
template <class T>
struct MembraneGrads {
  T* x;
  T* mem0;
  T* decay;
  T* theta;
  T* factor;
  T* bias;  // per neuron: the sum over time of dL/dX[t]
};

// What the backward pass reads: the saved sequences (`record`), or the input to recompute them from.
template <class T>
struct MembraneSaved {
  const T* x;
  const T* mem;
  const T* pre;
  const T* mem0;
  const T* decay;
  const T* theta;
  const T* factor;
  const T* bias;
  Broadcast single;
  bool record;
};

template <class T, int MECH, bool CORRECTS, bool ZERO_INPUT, bool PARAMS>
void membrane_backward(Grad<T> grad_spk, Grad<T> grad_mem, MembraneSaved<T> saved, int kind, const double* params,
                       MembraneGrads<T> out, int64_t steps, int64_t m, int64_t begin, int64_t end) {
  T carry[CHUNK], slope[CHUNK], delta[CHUNK], spk_scratch[CHUNK], mem_scratch[CHUNK];
  T m0_values[CHUNK], c_values[CHUNK], th_values[CHUNK], g_values[CHUNK];
  double sum_decay[CHUNK], sum_theta[CHUNK], sum_factor[CHUNK], sum_bias[CHUNK];
  const bool bias_sum = out.bias != nullptr;  // loop-invariant: -O3 unswitches the inner loop on it
  const bool needs_slope = kind != NO_GRADIENT && (grad_spk.values != nullptr || CORRECTS);
  // recomputing: blocks small enough that their [T, width] sequences stay in cache
  const int64_t width =
      saved.record ? CHUNK : std::max<int64_t>(16, std::min<int64_t>(CHUNK, (int64_t{1} << 15) / steps / 16 * 16));
  const int64_t buffers = CORRECTS ? 2 : 1;
  T* buffer = saved.record ? nullptr : thread_buffer<T>(static_cast<std::size_t>(buffers * steps * width));
  for (int64_t a = begin; a < end; a += width) {
    const int64_t n = std::min(width, end - a);
    Rows<T> mem{const_cast<T*>(saved.mem), m, 0}, pre{const_cast<T*>(saved.pre), m, 0};
    if (!saved.record) {
      mem = Rows<T>{buffer, n, a};
      pre = CORRECTS ? Rows<T>{buffer + steps * n, n, a} : mem;
      membrane_forward<T, MECH, CORRECTS, ZERO_INPUT, false>(saved.x, m, saved.mem0, saved.decay, saved.theta,
                                                             saved.factor, saved.bias, saved.single, mem, mem, pre,
                                                             steps, a, a + n);
    }
    for (int64_t j = 0; j < n; ++j) carry[j] = slope[j] = sum_decay[j] = sum_theta[j] = sum_factor[j] = sum_bias[j] = 0;
    const T* m0 = spread(saved.mem0, saved.single.initial, a, n, m0_values);
    const T* c = spread(saved.decay, saved.single.decay, a, n, c_values);
    const T* th = spread(saved.theta, saved.single.theta, a, n, th_values);
    const T* g = spread(saved.factor, saved.single.factor, a, n, g_values);
    bool spk_ready = false, mem_ready = false;
    for (int64_t t = steps - 1; t >= 0; --t) {
      if (t >= PREFETCH_STEPS) {  // walking time backwards: the rows PREFETCH_STEPS steps earlier
        const int64_t ahead = t - PREFETCH_STEPS;
        prefetch_grad(grad_spk, ahead, a, n);
        prefetch_grad(grad_mem, ahead, a, n);
        if (saved.record) {
          prefetch_row(mem.row(ahead, a), n);
          if (CORRECTS) prefetch_row(pre.row(ahead, a), n);
        }
        if (out.x != nullptr) prefetch_row(out.x + ahead * m + a, n);
      }
      const T* __restrict__ v = pre.row(t, a);
      const T* __restrict__ p = t > 0 ? mem.row(t - 1, a) : m0;
      const T* __restrict__ gs = grad_row(grad_spk, t, steps, a, n, spk_scratch, spk_ready);
      const T* __restrict__ gm = grad_row(grad_mem, t, steps, a, n, mem_scratch, mem_ready);
      T* __restrict__ dx = out.x != nullptr ? out.x + t * m + a : delta;  // dL/dX[t], straight to the output
      if (needs_slope) slopes<T>(kind, params, v, th, slope, n);
      for (int64_t j = 0; j < n; ++j) {
        const T reset = MECH == NONE ? T(0) : static_cast<T>(p[j] > th[j]);
        const T keep = T(1) - reset;
        const T fired = static_cast<T>(v[j] > th[j]);
        const T coef = MECH == ZERO ? c[j] * keep : c[j];
        const T spike_grad = gs[j] * slope[j] * g[j];
        // lambda = dL/dU[t]: the output's gradient plus what the later steps send back
        const T lambda = gm[j] + carry[j];
        T jac = T(1);
        if (CORRECTS) {
          jac = MECH == SUBTRACT ? T(1) - th[j] * slope[j] : T(1) - (fired - reset) - v[j] * slope[j];
        }
        const T d = spike_grad + jac * lambda;  // dL/dV[t]
        if (PARAMS) {  // per-neuron sums over time, in double
          sum_decay[j] += static_cast<double>(d * (MECH == ZERO ? p[j] * keep : p[j]));
          T term = -spike_grad;
          if (MECH == SUBTRACT) term = term - d * reset;
          if (CORRECTS) {
            term = term + lambda * (MECH == SUBTRACT ? th[j] * slope[j] - (fired - reset) : v[j] * slope[j]);
          }
          sum_theta[j] += static_cast<double>(term);
          sum_factor[j] += static_cast<double>(gs[j] * fired);
        }
        carry[j] = coef * d;
        const T dxj = ZERO_INPUT ? d * keep : d;  // a zero reset that clears the input passes (1 - R) to X
        dx[j] = dxj;
        if (bias_sum) sum_bias[j] += static_cast<double>(dxj);
      }
    }
    for (int64_t j = 0; j < n; ++j) {
      if (out.mem0 != nullptr) out.mem0[a + j] = carry[j];
      if (out.decay != nullptr) out.decay[a + j] = static_cast<T>(sum_decay[j]);
      if (out.theta != nullptr) out.theta[a + j] = static_cast<T>(sum_theta[j]);
      if (out.factor != nullptr) out.factor[a + j] = static_cast<T>(sum_factor[j]);
      if (bias_sum) out.bias[a + j] = static_cast<T>(sum_bias[j]);
    }
  }
}

template <class T>
void decay_forward(const T* __restrict__ x, const T* __restrict__ state0, const T* __restrict__ decay,
                   Broadcast single, T* __restrict__ out, int64_t steps, int64_t m, int64_t begin, int64_t end) {
  T s_values[CHUNK], c_values[CHUNK];
  for (int64_t a = begin; a < end; a += CHUNK) {
    const int64_t n = std::min(CHUNK, end - a);
    const T* s = spread(state0, single.initial, a, n, s_values);
    const T* c = spread(decay, single.decay, a, n, c_values);
    for (int64_t j = 0; j < n; ++j) {
      const T o = s[j] * c[j];
      out[a + j] = o + x[a + j];
    }
    for (int64_t t = 1; t < steps; ++t) {
      const T* __restrict__ prev = out + (t - 1) * m + a;
      T* __restrict__ now = out + t * m + a;
      const T* __restrict__ xt = x + t * m + a;
      for (int64_t j = 0; j < n; ++j) {
        const T o = prev[j] * c[j];
        now[j] = o + xt[j];
      }
    }
  }
}

template <class T>
void decay_backward(Grad<T> grad_out, const T* __restrict__ out, const T* __restrict__ state0,
                    const T* __restrict__ decay, Broadcast single, T* __restrict__ grad_x,
                    T* __restrict__ grad_state0, T* __restrict__ grad_decay, int64_t steps, int64_t m, int64_t begin,
                    int64_t end) {
  T carry[CHUNK], eps[CHUNK], scratch[CHUNK], s_values[CHUNK], c_values[CHUNK];
  double sum_decay[CHUNK];
  for (int64_t a = begin; a < end; a += CHUNK) {
    const int64_t n = std::min(CHUNK, end - a);
    for (int64_t j = 0; j < n; ++j) carry[j] = sum_decay[j] = 0;
    const T* s = spread(state0, single.initial, a, n, s_values);
    const T* c = spread(decay, single.decay, a, n, c_values);
    bool ready = false;
    for (int64_t t = steps - 1; t >= 0; --t) {
      const T* __restrict__ previous = t > 0 ? out + (t - 1) * m + a : s;
      const T* __restrict__ go = grad_row(grad_out, t, steps, a, n, scratch, ready);
      for (int64_t j = 0; j < n; ++j) {
        const T e = go[j] + carry[j];  // dL/dI[t]
        eps[j] = e;
        sum_decay[j] += static_cast<double>(e * previous[j]);
        carry[j] = c[j] * e;
      }
      if (grad_x != nullptr) std::copy(eps, eps + n, grad_x + t * m + a);
    }
    for (int64_t j = 0; j < n; ++j) {
      if (grad_state0 != nullptr) grad_state0[a + j] = carry[j];
      if (grad_decay != nullptr) grad_decay[a + j] = static_cast<T>(sum_decay[j]);
    }
  }
}

struct MembraneOptions {
  int mechanism;
  bool corrects;    // reset_delay=False with a reset: the same-step correction
  bool zero_input;  // a zero reset also clears this step's input
};

template <class T, int MECH>
void forward_for(const T* x, const T* mem0, const T* decay, const T* theta, const T* factor, const T* bias,
                 Broadcast single, Rows<T> spk, Rows<T> mem, Rows<T> pre, int64_t steps, int64_t m,
                 MembraneOptions options, int threads) {
  parallel(steps, m, threads, [=](int64_t begin, int64_t end) {
#define SNNX_FORWARD(CORRECTS, ZERO_INPUT)                                                                     \
  membrane_forward<T, MECH, CORRECTS, ZERO_INPUT>(x, m, mem0, decay, theta, factor, bias, single, spk, mem, pre, \
                                                  steps, begin, end)
    if constexpr (MECH == ZERO) {
      if (options.zero_input) {
        options.corrects ? SNNX_FORWARD(true, true) : SNNX_FORWARD(false, true);
        return;
      }
    }
    options.corrects ? SNNX_FORWARD(true, false) : SNNX_FORWARD(false, false);
#undef SNNX_FORWARD
  });
}

template <class T, int MECH, bool ZERO_INPUT>
void backward_with(Grad<T> grad_spk, Grad<T> grad_mem, MembraneSaved<T> saved, int kind, const double* params,
                   MembraneGrads<T> out, int64_t steps, int64_t m, bool corrects, int64_t begin, int64_t end) {
  const bool sums = out.decay != nullptr || out.theta != nullptr || out.factor != nullptr;
#define SNNX_BACKWARD(CORRECTS, PARAMS)                                                                      \
  membrane_backward<T, MECH, CORRECTS, ZERO_INPUT, PARAMS>(grad_spk, grad_mem, saved, kind, params, out, steps, \
                                                           m, begin, end)
  if (corrects) {
    sums ? SNNX_BACKWARD(true, true) : SNNX_BACKWARD(true, false);
  } else {
    sums ? SNNX_BACKWARD(false, true) : SNNX_BACKWARD(false, false);
  }
#undef SNNX_BACKWARD
}

template <class T, int MECH>
void backward_for(Grad<T> grad_spk, Grad<T> grad_mem, MembraneSaved<T> saved, int kind, const double* params,
                  MembraneGrads<T> out, int64_t steps, int64_t m, MembraneOptions options, int threads) {
  parallel(steps, m, threads, [=](int64_t begin, int64_t end) {
    if constexpr (MECH == ZERO) {
      if (options.zero_input) {
        return backward_with<T, MECH, true>(grad_spk, grad_mem, saved, kind, params, out, steps, m,
                                            options.corrects, begin, end);
      }
    }
    backward_with<T, MECH, false>(grad_spk, grad_mem, saved, kind, params, out, steps, m, options.corrects, begin,
                                  end);
  });
}

template <class T>
void membrane_forward_entry(const T* x, const T* mem0, const T* decay, const T* theta, const T* factor,
                            const T* bias, Broadcast single, T* spk, T* mem, T* pre, int64_t steps, int64_t m,
                            MembraneOptions options, bool record, int threads) {
  // without `record`, mem and pre are [M] arrays that end up holding the last step
  const Rows<T> spk_rows{spk, m, 0}, mem_rows{mem, record ? m : 0, 0}, pre_rows{pre, record ? m : 0, 0};
  switch (options.mechanism) {
    case SUBTRACT:
      return forward_for<T, SUBTRACT>(x, mem0, decay, theta, factor, bias, single, spk_rows, mem_rows, pre_rows,
                                      steps, m, options, threads);
    case ZERO:
      return forward_for<T, ZERO>(x, mem0, decay, theta, factor, bias, single, spk_rows, mem_rows, pre_rows, steps,
                                  m, options, threads);
    default:
      return forward_for<T, NONE>(x, mem0, decay, theta, factor, bias, single, spk_rows, mem_rows, pre_rows, steps,
                                  m, options, threads);
  }
}

template <class T>
void membrane_backward_entry(Grad<T> grad_spk, Grad<T> grad_mem, MembraneSaved<T> saved, int kind,
                             const double* params, MembraneGrads<T> out, int64_t steps, int64_t m,
                             MembraneOptions options, int threads) {
  switch (options.mechanism) {
    case SUBTRACT:
      return backward_for<T, SUBTRACT>(grad_spk, grad_mem, saved, kind, params, out, steps, m, options, threads);
    case ZERO:
      return backward_for<T, ZERO>(grad_spk, grad_mem, saved, kind, params, out, steps, m, options, threads);
    default:
      return backward_for<T, NONE>(grad_spk, grad_mem, saved, kind, params, out, steps, m, options, threads);
  }
}

}  // namespace

// The C entry points, one per dtype (f32: float, f64: double). Flags are ints for ctypes.
// Whether every value is zero (-0 included): blocks of CHUNK without an early exit inside, so the
// compiler vectorises the test, and a check between blocks.
template <class T>
int all_zero(const T* __restrict__ values, int64_t n) {
  for (int64_t a = 0; a < n; a += CHUNK) {
    const int64_t end = std::min(n, a + CHUNK);
    int nonzero = 0;
    for (int64_t i = a; i < end; ++i) nonzero |= values[i] != T(0);
    if (nonzero) return 0;
  }
  return 1;
}

#define SNNX_SCAN_ENTRY_POINTS(T, SUFFIX)                                                                      \
  extern "C" void snnx_membrane_forward_##SUFFIX(const T* x, const T* mem0, const T* decay, const T* theta,     \
                                                 const T* factor, const T* bias, T* spk, T* mem, T* pre,       \
                                                 int64_t steps, int64_t m, int mechanism, int corrects,        \
                                                 int zero_input, int record, int threads, int broadcast,       \
                                                 int64_t bias_period) {                                        \
    membrane_forward_entry<T>(x, mem0, decay, theta, factor, bias, Broadcast::from_bits(broadcast, bias_period), \
                              spk, mem, pre,                                                                   \
                              steps, m, MembraneOptions{mechanism, corrects != 0, zero_input != 0},            \
                              record != 0, threads);                                                           \
  }                                                                                                            \
  extern "C" void snnx_membrane_backward_##SUFFIX(                                                             \
      const T* grad_spk, int64_t spk_time_stride, int64_t spk_element_stride, const T* grad_mem,               \
      int64_t mem_time_stride, int64_t mem_element_stride, const T* x, const T* mem, const T* pre,             \
      const T* mem0, const T* decay, const T* theta, const T* factor, const T* bias, int kind,                 \
      const double* params, T* grad_x, T* grad_mem0, T* grad_decay, T* grad_theta, T* grad_factor,             \
      T* grad_bias, int64_t steps, int64_t m,                                                                  \
      int mechanism, int corrects, int zero_input, int record, int threads, int broadcast,                     \
      int64_t bias_period) {                                                                                   \
    membrane_backward_entry<T>(                                                                                \
        Grad<T>{grad_spk, spk_time_stride, spk_element_stride, false},                                         \
        Grad<T>{grad_mem, mem_time_stride, mem_element_stride, record == 0},                                   \
        MembraneSaved<T>{x, mem, pre, mem0, decay, theta, factor, bias,                                        \
                         Broadcast::from_bits(broadcast, bias_period), record != 0},                           \
        kind, params, MembraneGrads<T>{grad_x, grad_mem0, grad_decay, grad_theta, grad_factor, grad_bias},     \
        steps, m,                                                                                              \
        MembraneOptions{mechanism, corrects != 0, zero_input != 0}, threads);                                  \
  }                                                                                                            \
  extern "C" void snnx_decay_forward_##SUFFIX(const T* x, const T* state0, const T* decay, T* out,              \
                                              int64_t steps, int64_t m, int threads, int broadcast) {           \
    parallel(steps, m, threads, [=](int64_t begin, int64_t end) {                                                     \
      decay_forward<T>(x, state0, decay, Broadcast::from_bits(broadcast), out, steps, m, begin, end);          \
    });                                                                                                        \
  }                                                                                                            \
  extern "C" void snnx_decay_backward_##SUFFIX(const T* grad_out, int64_t time_stride, int64_t element_stride,   \
                                               const T* out, const T* state0, const T* decay, T* grad_x,        \
                                               T* grad_state0, T* grad_decay, int64_t steps, int64_t m,         \
                                               int threads, int broadcast) {                                   \
    parallel(steps, m, threads, [=](int64_t begin, int64_t end) {                                                     \
      decay_backward<T>(Grad<T>{grad_out, time_stride, element_stride, false}, out, state0, decay,             \
                        Broadcast::from_bits(broadcast), grad_x, grad_state0, grad_decay, steps, m, begin,     \
                        end);                                                                                  \
    });                                                                                                        \
  }                                                                                                            \
  extern "C" int snnx_all_zero_##SUFFIX(const T* values, int64_t n) { return all_zero<T>(values, n); }

SNNX_SCAN_ENTRY_POINTS(float, f32)
SNNX_SCAN_ENTRY_POINTS(double, f64)
