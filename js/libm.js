// The C library's arithmetic where JavaScript's differs: a fused multiply-add, and e^x as glibc
// computes it, so that a landscape with an exponential (two minima, the plateau) gives the
// library's iterates bit for bit.
//
// V8's Math.exp is a port of fdlibm: against glibc 2.36 (the library's numba kernels call the C
// library's exp) it differs in the last bit for about one argument in ten, and one differing
// gradient is enough to part two trajectories. glibc's exp (since 2.28) reduces
// x = k ln2/128 + r and evaluates 2^(k/128) (1 + tail + p(r)) with a degree-5 polynomial; on a
// processor with FMA, glibc runs a build of it compiled with fused multiply-adds (the contractions
// below are those GCC makes in that build). `exp` here follows those steps with the same
// constants and a fused multiply-add emulated exactly (`fma`); tests/js checks it bit for bit
// against glibc on a quarter of a million arguments written by the library.

const words = new Float64Array(1);
// Little-endian halves: bits[0] the low word, bits[1] the high one. Signed, so that every value
// stays a small integer for V8 (unsigned words above 2^31 would be boxed: 20 times slower).
const bits = new Int32Array(words.buffer);

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitting constant

/** Round-to-odd of x + y (the exact sum truncated, its last bit set when inexact). */
function addRoundToOdd(x, y) {
  const s = x + y;
  const v = s - x;
  const error = (x - (s - v)) + (y - v);
  if (error === 0) return s;
  words[0] = s;
  if ((bits[0] & 1) === 1) return s;
  // s is even: the odd neighbour on the side of the exact sum
  if ((error > 0) === (s > 0)) {
    bits[0] = (bits[0] + 1) | 0;
    if (bits[0] === 0) bits[1] = (bits[1] + 1) | 0;
  } else {
    if (bits[0] === 0) bits[1] = (bits[1] - 1) | 0;
    bits[0] = (bits[0] - 1) | 0;
  }
  return words[0];
}

/** th + RO(tl + ul) rounded to nearest: the last step of `fma`, where it matters. */
function roundedOddSum(th, tl, ul) {
  return th + addRoundToOdd(tl, ul);
}

/**
 * a*b + c rounded once, as the processor's FMA instruction (Boldo & Melquiond, "Emulation of
 * FMA and correctly rounded sums: proved algorithms using rounding to odd", IEEE Trans.
 * Computers 57(4), 2008): the exact product as uh + ul (Dekker), c + uh as th + tl (Knuth's
 * two-sum), then th + RO(tl + ul) rounded to nearest, RO being rounding to odd. Exact for the
 * operands exp meets (no product overflows or falls below 2^-969).
 *
 * Rounding tl + ul to nearest instead gives the same result unless that sum is inexact and
 * th + RN(tl + ul) lies exactly halfway between two doubles (or, at a power of 2, a quarter of
 * the way): only then is the exact step taken. The common path stays small enough for V8 to
 * inline, so its doubles are not boxed (with the exact step always taken, exp took 300 ns).
 */
export function fma(a, b, c) {
  const uh = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl;
  const th = c + uh;
  t = th - c;
  const tl = (c - (th - t)) + (uh - t);
  const v = tl + ul;
  t = v - tl;
  const inexact = (tl - (v - t)) + (ul - t) !== 0;
  const z = th + v;
  t = z - th;
  const d2 = 2 * ((th - (z - t)) + (v - t));
  if (inexact && d2 !== 0 && (z + d2) - z === d2) return roundedOddSum(th, tl, ul);
  return z;
}

const INV_LN2_N = 184.6649652337873; // 128/ln 2
const NEG_LN2_HI_N = -0.005415212348111709; // -ln2/128, high part (its last 13 bits zero)
const NEG_LN2_LO_N = -1.2864023111638346e-14; // -ln2/128, the rest
const SHIFT = 6755399441055744; // 1.5 * 2^52: adding it rounds to an integer
const C2 = 0.49999999999996786;
const C3 = 0.16666666666665886;
const C4 = 0.0416666808410674;
const C5 = 0.008333335853059549;

// [H_k, T_k] with 2^(k/128) = H_k (1 + T_k): H_k is 2^(k/128) rounded to the nearest double, T_k
// the relative remainder rounded (written by the library's maintainers from the definition
// with 60-digit decimals; tests/js checks the results, not these digits).
const ROWS = [
  [1.0, 0.0],
  [1.0054299011128027, 9.447885451727066e-17],
  [1.0108892860517005, -1.507066976926039e-17],
  [1.016378314910953, -5.679155082825012e-17],
  [1.0218971486541166, 4.9997448722726326e-17],
  [1.0274459491187637, -4.823683599994895e-17],
  [1.0330248790212284, 7.357846871247418e-18],
  [1.0386341019613787, 5.773230223741951e-17],
  [1.0442737824274138, 8.189317638195515e-17],
  [1.0499440858006872, 5.326891139980878e-17],
  [1.0556451783605572, 1.6665881442326747e-18],
  [1.061377227289262, -1.128113245461828e-17],
  [1.0671404006768237, -7.402825309426177e-17],
  [1.0729348675259756, -3.578659767309563e-18],
  [1.0787607977571199, -6.170654745608695e-17],
  [1.0846183622133092, 2.919139999949279e-17],
  [1.0905077326652577, -2.7939114859515733e-17],
  [1.0964290818163769, -5.399285355184285e-17],
  [1.102382583307841, 4.776959425256223e-17],
  [1.1083684117236787, -7.927701432338473e-17],
  [1.1143867425958924, 9.341710609905046e-17],
  [1.1204377524096067, -5.534520675707472e-17],
  [1.1265216186082418, 4.585670326662351e-17],
  [1.1326385195987192, 2.8582430411116143e-17],
  [1.1387886347566916, 7.826573258636076e-17],
  [1.1449721444318042, 4.053626906769216e-17],
  [1.1511892299529827, 2.823784425951061e-17],
  [1.1574400736337511, -7.882802262487991e-17],
  [1.1637248587775775, 3.2904726646008416e-17],
  [1.1700437696832502, -1.5792094703347882e-18],
  [1.1763969916502812, 4.721368121170128e-17],
  [1.182784710984341, 1.3045277096919659e-17],
  [1.189207115002721, 3.3484623336251524e-17],
  [1.1956643920398273, 3.8611199774925664e-17],
  [1.202156731452703, 5.527550048505249e-17],
  [1.2086843236265816, -3.927184172445234e-17],
  [1.215247359980469, -6.346552106729483e-17],
  [1.2218460329727576, -8.684417614865944e-17],
  [1.22848053610687, -1.5456342819397733e-17],
  [1.2351510639369334, -8.70763476495455e-17],
  [1.241857812073484, 3.750854201303127e-17],
  [1.2486009771892048, -6.616854503526488e-17],
  [1.255380757024691, -5.346099009198751e-18],
  [1.2621973503942507, -2.443726321015018e-17],
  [1.2690509571917332, 2.1023049675215714e-18],
  [1.275941778396392, 7.771067937501065e-17],
  [1.2828700160787783, 1.3357510088834541e-17],
  [1.2898358734066657, 6.938291696959204e-17],
  [1.2968395546510096, 1.9572585293112036e-17],
  [1.3038812651919358, 6.632256961675804e-17],
  [1.3109612115247644, -5.478069123926778e-17],
  [1.318079601266064, -4.140839310392624e-17],
  [1.3252366431597413, -2.1571477251208752e-17],
  [1.3324325470831615, -3.8287766552120535e-17],
  [1.339667524053303, 6.663804589232195e-17],
  [1.3469417862329458, 2.3936187400285282e-17],
  [1.3542555469368927, 5.68648095791174e-17],
  [1.3616090206382248, 1.1264523354521684e-18],
  [1.3690024229745905, 7.007875046906994e-17],
  [1.3764359707545302, -5.0119214278381254e-17],
  [1.383909881963832, -4.8923067513522756e-17],
  [1.3914243757719262, -3.5260089953269434e-17],
  [1.3989796725383112, -6.872303720902018e-17],
  [1.4065759938190154, 5.001446664133532e-18],
  [1.4142135623730951, -6.835808657661922e-17],
  [1.4218926021691656, -1.1307344092910212e-17],
  [1.42961333839197, -8.416011634717156e-18],
  [1.4373759974489824, -2.9247977035436566e-17],
  [1.4451808069770467, -2.092304381843353e-17],
  [1.4530279958490526, -3.9778645875427124e-17],
  [1.460917794180647, -3.833464968654295e-17],
  [1.4688504333369818, 5.763611164480894e-17],
  [1.4768261459394993, -2.3591094770850053e-17],
  [1.4848451658727524, 7.260074661098575e-17],
  [1.4929077282912648, 9.50689710108796e-18],
  [1.5010140696264256, -4.272956133839906e-17],
  [1.5091644275934228, -6.735219232374683e-17],
  [1.5173590411982147, -2.8396044410430936e-17],
  [1.5255981507445384, -7.226635472101257e-17],
  [1.533881997840956, 5.786121003395918e-17],
  [1.5422108254079407, 5.1548301170786783e-17],
  [1.550584877685, -9.416257568878152e-18],
  [1.559004400237837, 2.4253985766689806e-17],
  [1.567469639965553, -6.604314051707707e-17],
  [1.5759808451078865, -6.432131775424189e-18],
  [1.5845382652524937, -1.2204007601863921e-17],
  [1.593142151342267, -6.336161863401293e-17],
  [1.6017927556826934, -3.7800879246373815e-17],
  [1.6104903319492543, 1.5341410053603723e-17],
  [1.6192351351948637, 1.2932855580427452e-17],
  [1.6280274218573478, -4.123367330661149e-17],
  [1.6368674497669644, 4.703083974463456e-17],
  [1.645755478153965, -6.152602891550265e-17],
  [1.6546917676561943, 5.827849326195279e-17],
  [1.6636765803267364, 3.540948262646183e-17],
  [1.6727101796415966, -3.2741571320938764e-17],
  [1.681792830507429, 4.875160526227062e-17],
  [1.6909247992693053, -5.718569790077838e-17],
  [1.7001063537185235, -4.719539664590972e-18],
  [1.709337763100463, -5.773451958805706e-17],
  [1.718619298122478, -1.0772487078934056e-17],
  [1.7279512309618377, -6.221808618533911e-17],
  [1.7373338352737062, 1.821405440362259e-17],
  [1.746767386199169, -6.155536546227639e-17],
  [1.7562521603732995, 1.685487290628973e-17],
  [1.7657884359332727, 5.3581249177694816e-17],
  [1.7753764925265212, 3.621615935336894e-17],
  [1.785016611318935, 8.588379527574144e-18],
  [1.7947090750031072, 1.01562190116415e-17],
  [1.804454167806624, -2.869134889187244e-17],
  [1.8142521755003989, -5.495118966122005e-17],
  [1.8241033854070534, -5.56965572431627e-17],
  [1.8340080864093424, 1.790126907604513e-17],
  [1.843966568958626, -3.2211766346200164e-17],
  [1.8539791250833855, 5.265370768556274e-17],
  [1.864046048397789, 3.5089866402403033e-17],
  [1.8741676341103, -3.266924100901318e-17],
  [1.8843441790323345, -4.3657593008079375e-17],
  [1.8945759815869656, 1.7963932659833022e-17],
  [1.9048633418176741, 3.4300925275214166e-17],
  [1.9152065613971474, -5.545065618639427e-17],
  [1.925605943636125, -5.149009745457733e-17],
  [1.9360617934922943, 5.336805878514151e-17],
  [1.9465744175792332, 3.498978661192973e-17],
  [1.9571441241754002, 4.5784915277060095e-17],
  [1.9677712232331759, -5.241934575393899e-17],
  [1.978456026387951, 2.0414278897578303e-17],
  [1.9891988469672663, 4.124842848606488e-18]
];
const TABLE = Float64Array.from(ROWS.flat());

const TOP_OF_TINY = 0x3c9; // exponent field of 2^-54
const TOP_OF_512 = 0x408;
const TOP_OF_1024 = 0x409;

/** The double whose bits are those of `scale` with `k >> 7` added to its exponent field. */
function scaleOf(k) {
  words[0] = TABLE[2 * (k & 127)];
  bits[1] = (bits[1] + ((k >> 7) << 20)) | 0;
  return words[0];
}

/** Results that overflow or underflow in the last step (|x| beyond about 512). */
function specialCase(tmp, k) {
  const head = TABLE[2 * (k & 127)];
  words[0] = head;
  if (k >= 0) {
    bits[1] = (bits[1] + (((k >> 7) - 1009) << 20)) | 0;
    const scale = words[0];
    return 2 ** 1009 * fma(scale, tmp, scale);
  }
  bits[1] = (bits[1] + (((k >> 7) + 1022) << 20)) | 0;
  const scale = words[0];
  // unfused here: the C library's build computes scale * tmp once for both sums
  let y = scale + scale * tmp;
  if (y < 1.0) {
    // round y to the subnormal precision before scaling, as the C library does
    let lo = scale - y + scale * tmp;
    const hi = 1.0 + y;
    lo = ((1.0 - hi) + y) + lo;
    y = (hi + lo) - 1.0;
    if (y === 0) y = 0;
  }
  return 2 ** -1022 * y;
}

/** e^x, the same double as glibc's exp on a processor with FMA. */
export function exp(x) {
  words[0] = x;
  const top = (bits[1] >>> 20) & 0x7ff;
  let special = false;
  if (top - TOP_OF_TINY >= TOP_OF_512 - TOP_OF_TINY || top < TOP_OF_TINY) {
    if (top < TOP_OF_TINY) return 1.0 + x;
    if (top >= TOP_OF_1024) {
      if (x === -Infinity) return 0;
      if (Number.isNaN(x) || x === Infinity) return 1.0 + x;
      return x < 0 ? 0 : Infinity;
    }
    special = true;
  }
  const kd = fma(INV_LN2_N, x, SHIFT) - SHIFT;
  const k = kd | 0;
  const r = fma(kd, NEG_LN2_LO_N, fma(kd, NEG_LN2_HI_N, x));
  const tail = TABLE[2 * (k & 127) + 1];
  const r2 = r * r;
  const tmp = fma(r2 * r2, fma(r, C5, C4), fma(r2, fma(r, C3, C2), tail + r));
  if (special) return specialCase(tmp, k);
  const scale = scaleOf(k);
  return fma(scale, tmp, scale);
}
