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
  if (Math.abs(x) >= 1e21) {
    // toFixed switches to exponents here; such a double is an integer
    return `${BigInt(x)}${digits > 0 ? `.${"0".repeat(digits)}` : ""}`;
  }
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

/**
 * |x| rounded to `precision` significant digits, ties to even: { digits, exponent } with
 * x ~ 0.digits... * 10^(exponent + 1). toExponential(99) gives the exact expansion's first 100
 * digits, enough to see a tie (a double whose expansion stops at digit precision + 1).
 */
function significant(x, precision) {
  const [mantissa, exponentText] = Math.abs(x).toExponential(99).split("e");
  const all = mantissa.replace(".", "");
  let exponent = Number(exponentText);
  const rest = all.slice(precision);
  let kept = all.slice(0, precision);
  const half = /^50*$/.test(rest);
  const up = rest[0] > "5" || (rest[0] === "5" && !half) || (half && Number(kept.at(-1)) % 2 === 1);
  if (up) {
    const bumped = String(BigInt(kept) + 1n);
    if (bumped.length > precision) {
      exponent += 1;
      kept = bumped.slice(0, precision);
    } else {
      kept = bumped.padStart(precision, "0");
    }
  }
  return { digits: kept, exponent };
}

/** format(x, f".{precision}g"): Python's general format (no trailing zeros). */
export function general(x, precision) {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const sign = x < 0 ? "-" : "";
  const { digits, exponent } = significant(x, precision);
  const strip = (text) => (text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text);
  if (exponent < -4 || exponent >= precision) {
    const mantissa = strip(`${digits[0]}.${digits.slice(1)}`);
    const exponentSign = exponent < 0 ? "-" : "+";
    return `${sign}${mantissa}e${exponentSign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  if (exponent < 0) return sign + strip(`0.${"0".repeat(-exponent - 1)}${digits}`);
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  return sign + strip(`${whole}.${digits.slice(exponent + 1)}`);
}

/**
 * optbook.widgets.engine.number: a number for alternative text, `digits` significant digits,
 * an exponent spelled out as a screen reader should read it.
 */
export function spoken(x, digits = 3) {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "not a number" : "infinite";
  return general(x, digits).replace("e-0", " times 10 to the minus ")
    .replace("e-", " times 10 to the minus ").replace("e+0", " times 10 to the ")
    .replace("e+", " times 10 to the ");
}
