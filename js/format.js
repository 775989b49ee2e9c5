// Numbers printed as Python's format() prints them, so that the page's text is the kernel's.

/** The exact decimal expansion of x's digits beyond `digits` decimals is a tie (…5000…). */
function isTie(x, digits) {
  const expansion = Math.abs(x).toFixed(Math.min(100, digits + 60));
  const rest = expansion.slice(expansion.indexOf(".") + 1 + digits);
  return /^50*$/.test(rest);
}

/** format(x, f".{digits}f"): fixed point, ties to even (JavaScript's toFixed rounds them up). */
export function fixed(x, digits) {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  let text = x.toFixed(digits);
  if (isTie(x, digits)) {
    const lastDigit = Number(text.replace(".", "").slice(-1));
    if (lastDigit % 2 === 1) {
      const ulp = 10 ** -digits;
      text = (x > 0 ? x - ulp / 2 : x + ulp / 2).toFixed(digits);
    }
  }
  return text;
}

/** format(x, f".{precision}g"): Python's general format (no trailing zeros). */
export function general(x, precision) {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [mantissa, exponentText] = x.toExponential(precision - 1).split("e");
  const exponent = Number(exponentText);
  const strip = (text) => (text.includes(".") ? text.replace(/\.?0+$/, "") : text);
  if (exponent < -4 || exponent >= precision) {
    const sign = exponent < 0 ? "-" : "+";
    return `${strip(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return strip(x.toFixed(Math.max(0, precision - 1 - exponent)));
}
