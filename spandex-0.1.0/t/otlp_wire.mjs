// otlp_wire: the few protobuf wire-format pieces (https://protobuf.dev/programming-guides/encoding/)
// that the OTLP integration test and bench/otlp_ingest use to write bodies by hand.
export function varint(n) {
	const out = [];
	do {
		let b = n % 128;
		n = Math.floor(n / 128);
		if (n) b |= 0x80;
		out.push(b);
	} while (n);
	return Buffer.from(out);
}

// Length-delimited field f holding payload p.
export const field = (f, p) => Buffer.concat([varint(f * 8 + 2), varint(p.length), p]);
