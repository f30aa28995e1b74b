package tensor

import "math"

// Scalar references of the vector kernels (vk.c). Builds without cgo run
// these (kernels_go.go); tests hold the vector kernels to them.

func refExp(y, x []float32) {
	for i, v := range x {
		y[i] = Exp(v)
	}
}

func refLogSumExp(x []float32) float32 {
	if len(x) == 0 {
		return float32(math.Inf(-1))
	}
	mx := x[0]
	for _, v := range x[1:] {
		mx = max(mx, v)
	}
	if math.IsInf(float64(mx), -1) {
		return mx
	}
	var s float32
	for _, v := range x {
		s += Exp(v - mx)
	}
	return mx + float32(math.Log(float64(s)))
}

func refSoftmax(x []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	mx := x[0]
	for _, v := range x[1:] {
		mx = max(mx, v)
	}
	if math.IsInf(float64(mx), -1) {
		clear(x) // a fully masked row
		return mx
	}
	var s float32
	for i, v := range x {
		e := Exp(v - mx)
		x[i] = e
		s += e
	}
	inv := 1 / s
	for i := range x {
		x[i] *= inv
	}
	return mx + float32(math.Log(float64(s)))
}

func refAttnSoftmax(P []float32, ld, tq, tk int, vis []int32, slope float32, off int) {
	for i := 0; i < tq; i++ {
		row, v := P[i*ld:i*ld+tk], int(vis[i])
		if slope != 0 {
			q := off + i
			for j := range row[:v] {
				d := q - j
				if d < 0 {
					d = -d
				}
				row[j] -= slope * float32(d)
			}
		}
		refSoftmax(row[:v])
		clear(row[v:])
	}
}

func refAttnSoftmaxBwd(dP []float32, ldd int, P []float32, ldp int, O []float32, ldo int, G []float32, ldg, tq, tk, dh int) {
	for i := 0; i < tq; i++ {
		var d float32
		o, g := O[i*ldo:i*ldo+dh], G[i*ldg:i*ldg+dh]
		for j := range o {
			d += o[j] * g[j]
		}
		p, dr := P[i*ldp:i*ldp+tk], dP[i*ldd:i*ldd+tk]
		for j := range p {
			dr[j] = p[j] * (dr[j] - d)
		}
	}
}

func refGELUFwd(y, sg, x []float32) {
	for i, v := range x {
		s := geluSig(v)
		if sg != nil {
			sg[i] = s
		}
		y[i] = v * s
	}
}

func refGELUBwd(gx, g, x, sg []float32) {
	for i, v := range x {
		// d/dx x·s(x) with s = sigmoid(2u): s + 2x·s(1-s)·u'
		s := sg[i]
		du := geluC * (1 + 3*geluA*v*v)
		gx[i] += g[i] * (s + 2*v*s*(1-s)*du)
	}
}

func refAdd(o, a, b []float32) {
	for i := range a {
		o[i] = a[i] + b[i]
	}
}

func refAcc(d, s []float32) {
	for i := range s {
		d[i] += s[i]
	}
}

func refColSum(dst, a, b []float32, rows, d, ld int) {
	for j := 0; j < d; j++ {
		s := dst[j]
		for r := 0; r < rows; r++ {
			v := a[r*ld+j]
			if b != nil {
				v *= b[r*ld+j]
			}
			s += v
		}
		dst[j] = s
	}
}

func refLayerNormFwd(out, xhat, rstd, x, g, b []float32, rows, d int, eps float32) {
	for r := 0; r < rows; r++ {
		xr, xh, o := x[r*d:(r+1)*d], xhat[r*d:(r+1)*d], out[r*d:(r+1)*d]
		var mean float32
		for _, v := range xr {
			mean += v
		}
		mean /= float32(d)
		var vr float32
		for _, v := range xr {
			vr += (v - mean) * (v - mean)
		}
		rs := 1 / float32(math.Sqrt(float64(vr/float32(d)+eps)))
		if rstd != nil {
			rstd[r] = rs
		}
		for j, v := range xr {
			h := (v - mean) * rs
			xh[j] = h
			if g != nil {
				h *= g[j]
			}
			if b != nil {
				h += b[j]
			}
			o[j] = h
		}
	}
}

func refLayerNormBwd(gx, gy, xhat, rstd, g []float32, rows, d int) {
	for r := 0; r < rows; r++ {
		xh, gr, gxr := xhat[r*d:(r+1)*d], gy[r*d:(r+1)*d], gx[r*d:(r+1)*d]
		// dxhat = dy*g; dx = rstd*(dxhat - mean(dxhat) - xhat*mean(dxhat*xhat))
		var m1, m2 float32
		for j := range xh {
			dh := gr[j]
			if g != nil {
				dh *= g[j]
			}
			m1 += dh
			m2 += dh * xh[j]
		}
		m1 /= float32(d)
		m2 /= float32(d)
		rs := rstd[r]
		for j := range xh {
			dh := gr[j]
			if g != nil {
				dh *= g[j]
			}
			gxr[j] += rs * (dh - m1 - xh[j]*m2)
		}
	}
}

func refCEGrad(gr, x []float32, lse, w float32) {
	for j, v := range x {
		gr[j] += w * Exp(v-lse)
	}
}

func refAdamW(p, g, m, v []float32, b1, b2, eps, rbc2, step, decay float32) {
	for i := range p {
		gi := g[i]
		mi := b1*m[i] + (1-b1)*gi
		vi := b2*v[i] + (1-b2)*gi*gi
		m[i], v[i] = mi, vi
		den := float32(math.Sqrt(float64(vi)))*rbc2 + eps
		p[i] = p[i]*decay - step*mi/den
	}
}
