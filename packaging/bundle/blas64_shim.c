/* numpy's BLAS and LAPACK calls (64-bit integers, scipy-openblas64's names) carried out by
 * SciPy's OpenBLAS (32-bit integers), so the bundle ships one OpenBLAS instead of two.
 * blas_shim.py builds this as a library named as numpy's OpenBLAS (same file name and soname,
 * linked to SciPy's OpenBLAS), checks it and puts it in place of numpy's copy.
 *
 * Integers go down to 32 bits: a value that does not fit (a matrix side or a leading
 * dimension over 2,147,483,647) stops the process with a message instead of a wrong result.
 * Integer arrays are copied: pivots (getrf, gesv) and the first entry of the integer
 * workspaces (gelsd, syevd, heevd: LAPACK returns the size it needs there) back to numpy;
 * the workspaces themselves are allocated here at the size LAPACK asks for.
 * The prototypes are numpy's (numpy/linalg/umath_linalg.cpp, npy_cblas_base.h): character
 * arguments without hidden lengths, as numpy passes them to its own OpenBLAS. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef int64_t i64;
typedef int32_t i32;

static i32 narrow(i64 value, const char *where) {
    if (value < INT32_MIN || value > INT32_MAX) {
        fprintf(stderr,
                "inspector: %s: %lld does not fit the bundle's 32-bit BLAS; matrices this "
                "large need the wheel install (pip install trainset-inspector)\n",
                where, (long long)value);
        abort();
    }
    return (i32)value;
}
#define N(v) narrow((v), __func__)

/* A vector and its increment for ?copy. numpy's linearising copies (umath_linalg.cpp) compute
 * a negative stride in elements as bytes / sizeof(type), an unsigned division: -5 doubles
 * arrives as 2^64/8 - 5, a positive increment to numpy's 64-bit OpenBLAS, which steps from the
 * pointer given by that many elements, wrapping around to -5 each (-40 bytes). SciPy's
 * OpenBLAS is given -5 and, as BLAS counts a negative increment from the other end of the
 * vector, the address of the vector's last element: the same elements in the same order.
 * Any other value out of range stops. */
static i32 vector(void **x, i64 value, i64 n, i64 size, const char *where) {
    if (value >= INT32_MIN && value <= INT32_MAX) return (i32)value;
    i64 wrapped = (i64)((uint64_t)value - (UINT64_MAX / (uint64_t)size + 1));
    if (wrapped < 0 && wrapped >= INT32_MIN) {
        if (n > 1) *x = (char *)*x + (n - 1) * wrapped * size;
        return (i32)wrapped;
    }
    return narrow(value, where);
}

static i32 *ints(i64 count, const char *where) {
    i32 *p = malloc((size_t)(count > 0 ? count : 1) * sizeof(i32));
    if (p == NULL) {
        fprintf(stderr, "inspector: %s: out of memory for %lld integers\n", where,
                (long long)count);
        abort();
    }
    return p;
}

/* ---- CBLAS (integers by value) ---- */
#define AXPY(p, T, A)                                                                        \
    void scipy_cblas_##p##axpy(i32, A, const T *, i32, T *, i32);                            \
    void scipy_cblas_##p##axpy64_(i64 n, A alpha, const T *x, i64 incx, T *y, i64 incy) {    \
        scipy_cblas_##p##axpy(N(n), alpha, x, N(incx), y, N(incy));                          \
    }
AXPY(s, float, float)
AXPY(d, double, double)
AXPY(c, void, const void *)
AXPY(z, void, const void *)

#define DOT(p, T)                                                                            \
    T scipy_cblas_##p##dot(i32, const T *, i32, const T *, i32);                             \
    T scipy_cblas_##p##dot64_(i64 n, const T *x, i64 incx, const T *y, i64 incy) {           \
        return scipy_cblas_##p##dot(N(n), x, N(incx), y, N(incy));                           \
    }
DOT(s, float)
DOT(d, double)

#define DOT_SUB(name)                                                                        \
    void scipy_cblas_##name(i32, const void *, i32, const void *, i32, void *);              \
    void scipy_cblas_##name##64_(i64 n, const void *x, i64 incx, const void *y, i64 incy,    \
                                 void *out) {                                                \
        scipy_cblas_##name(N(n), x, N(incx), y, N(incy), out);                               \
    }
DOT_SUB(cdotc_sub)
DOT_SUB(cdotu_sub)
DOT_SUB(zdotc_sub)
DOT_SUB(zdotu_sub)

#define GEMM(p, T, A)                                                                        \
    void scipy_cblas_##p##gemm(int, int, int, i32, i32, i32, A, const T *, i32, const T *,   \
                               i32, A, T *, i32);                                            \
    void scipy_cblas_##p##gemm64_(int order, int ta, int tb, i64 m, i64 n, i64 k, A alpha,   \
                                  const T *a, i64 lda, const T *b, i64 ldb, A beta, T *c,    \
                                  i64 ldc) {                                                 \
        scipy_cblas_##p##gemm(order, ta, tb, N(m), N(n), N(k), alpha, a, N(lda), b, N(ldb),  \
                              beta, c, N(ldc));                                              \
    }
GEMM(s, float, float)
GEMM(d, double, double)
GEMM(c, void, const void *)
GEMM(z, void, const void *)

#define GEMV(p, T, A)                                                                        \
    void scipy_cblas_##p##gemv(int, int, i32, i32, A, const T *, i32, const T *, i32, A,     \
                               T *, i32);                                                    \
    void scipy_cblas_##p##gemv64_(int order, int ta, i64 m, i64 n, A alpha, const T *a,      \
                                  i64 lda, const T *x, i64 incx, A beta, T *y, i64 incy) {   \
        scipy_cblas_##p##gemv(order, ta, N(m), N(n), alpha, a, N(lda), x, N(incx), beta, y,  \
                              N(incy));                                                      \
    }
GEMV(s, float, float)
GEMV(d, double, double)
GEMV(c, void, const void *)
GEMV(z, void, const void *)

#define SYRK(p, T, A)                                                                        \
    void scipy_cblas_##p##syrk(int, int, int, i32, i32, A, const T *, i32, A, T *, i32);     \
    void scipy_cblas_##p##syrk64_(int order, int uplo, int trans, i64 n, i64 k, A alpha,     \
                                  const T *a, i64 lda, A beta, T *c, i64 ldc) {              \
        scipy_cblas_##p##syrk(order, uplo, trans, N(n), N(k), alpha, a, N(lda), beta, c,     \
                              N(ldc));                                                       \
    }
SYRK(s, float, float)
SYRK(d, double, double)
SYRK(c, void, const void *)
SYRK(z, void, const void *)

/* ---- Fortran BLAS and LAPACK (integers by reference) ---- */
#define COPY(p, T, SIZE)                                                                     \
    void scipy_##p##copy_(const i32 *, const void *, const i32 *, void *, const i32 *);      \
    void scipy_##p##copy_64_(const i64 *n, const T *x, const i64 *incx, T *y,                \
                             const i64 *incy) {                                              \
        void *x_ = (void *)x, *y_ = y;                                                       \
        i32 n_ = N(*n);                                                                      \
        i32 ix = vector(&x_, *incx, *n, SIZE, __func__);                                     \
        i32 iy = vector(&y_, *incy, *n, SIZE, __func__);                                     \
        scipy_##p##copy_(&n_, x_, &ix, y_, &iy);                                             \
    }
COPY(s, float, 4)
COPY(d, double, 8)
COPY(c, void, 8)
COPY(z, void, 16)

#define GETRF(p, T)                                                                          \
    void scipy_##p##getrf_(const i32 *, const i32 *, T *, const i32 *, i32 *, i32 *);        \
    void scipy_##p##getrf_64_(const i64 *m, const i64 *n, T *a, const i64 *lda, i64 *ipiv,   \
                              i64 *info) {                                                   \
        i32 m_ = N(*m), n_ = N(*n), lda_ = N(*lda), info_ = 0;                               \
        i32 k = m_ < n_ ? m_ : n_;                                                           \
        i32 *piv = ints(k, __func__);                                                        \
        scipy_##p##getrf_(&m_, &n_, a, &lda_, piv, &info_);                                  \
        for (i32 i = 0; i < k; i++) ipiv[i] = piv[i];                                        \
        free(piv);                                                                           \
        *info = info_;                                                                       \
    }
GETRF(s, float)
GETRF(d, double)
GETRF(c, void)
GETRF(z, void)

#define GESV(p, T)                                                                           \
    void scipy_##p##gesv_(const i32 *, const i32 *, T *, const i32 *, i32 *, T *,            \
                          const i32 *, i32 *);                                               \
    void scipy_##p##gesv_64_(const i64 *n, const i64 *nrhs, T *a, const i64 *lda, i64 *ipiv, \
                             T *b, const i64 *ldb, i64 *info) {                              \
        i32 n_ = N(*n), nrhs_ = N(*nrhs), lda_ = N(*lda), ldb_ = N(*ldb), info_ = 0;         \
        i32 *piv = ints(n_, __func__);                                                       \
        scipy_##p##gesv_(&n_, &nrhs_, a, &lda_, piv, b, &ldb_, &info_);                      \
        for (i32 i = 0; i < n_; i++) ipiv[i] = piv[i];                                       \
        free(piv);                                                                           \
        *info = info_;                                                                       \
    }
GESV(s, float)
GESV(d, double)
GESV(c, void)
GESV(z, void)

#define POTRF(p, T)                                                                          \
    void scipy_##p##potrf_(const char *, const i32 *, T *, const i32 *, i32 *);              \
    void scipy_##p##potrf_64_(const char *uplo, const i64 *n, T *a, const i64 *lda,          \
                              i64 *info) {                                                   \
        i32 n_ = N(*n), lda_ = N(*lda), info_ = 0;                                           \
        scipy_##p##potrf_(uplo, &n_, a, &lda_, &info_);                                      \
        *info = info_;                                                                       \
    }
POTRF(s, float)
POTRF(d, double)
POTRF(c, void)
POTRF(z, void)

#define GEQRF(p, T)                                                                          \
    void scipy_##p##geqrf_(const i32 *, const i32 *, T *, const i32 *, T *, T *,             \
                           const i32 *, i32 *);                                              \
    void scipy_##p##geqrf_64_(const i64 *m, const i64 *n, T *a, const i64 *lda, T *tau,      \
                              T *work, const i64 *lwork, i64 *info) {                        \
        i32 m_ = N(*m), n_ = N(*n), lda_ = N(*lda), lwork_ = N(*lwork), info_ = 0;           \
        scipy_##p##geqrf_(&m_, &n_, a, &lda_, tau, work, &lwork_, &info_);                   \
        *info = info_;                                                                       \
    }
GEQRF(d, double)
GEQRF(z, void)

#define ORGQR(name, T)                                                                       \
    void scipy_##name##_(const i32 *, const i32 *, const i32 *, T *, const i32 *,            \
                         const T *, T *, const i32 *, i32 *);                                \
    void scipy_##name##_64_(const i64 *m, const i64 *n, const i64 *k, T *a, const i64 *lda,  \
                            const T *tau, T *work, const i64 *lwork, i64 *info) {            \
        i32 m_ = N(*m), n_ = N(*n), k_ = N(*k), lda_ = N(*lda), lwork_ = N(*lwork);          \
        i32 info_ = 0;                                                                       \
        scipy_##name##_(&m_, &n_, &k_, a, &lda_, tau, work, &lwork_, &info_);                \
        *info = info_;                                                                       \
    }
ORGQR(dorgqr, double)
ORGQR(zungqr, void)

/* gesdd: IWORK is scratch of 8*min(m,n) entries (not read back by numpy) */
#define GESDD_REAL(p, T)                                                                     \
    void scipy_##p##gesdd_(const char *, const i32 *, const i32 *, T *, const i32 *, T *,    \
                           T *, const i32 *, T *, const i32 *, T *, const i32 *, i32 *,      \
                           i32 *);                                                           \
    void scipy_##p##gesdd_64_(const char *jobz, const i64 *m, const i64 *n, T *a,            \
                              const i64 *lda, T *s, T *u, const i64 *ldu, T *vt,             \
                              const i64 *ldvt, T *work, const i64 *lwork, i64 *iwork,        \
                              i64 *info) {                                                   \
        i32 m_ = N(*m), n_ = N(*n), lda_ = N(*lda), ldu_ = N(*ldu), ldvt_ = N(*ldvt);        \
        i32 lwork_ = N(*lwork), info_ = 0;                                                   \
        i32 *iw = ints(8 * (i64)(m_ < n_ ? m_ : n_), __func__);                              \
        scipy_##p##gesdd_(jobz, &m_, &n_, a, &lda_, s, u, &ldu_, vt, &ldvt_, work, &lwork_,  \
                          iw, &info_);                                                       \
        free(iw);                                                                            \
        (void)iwork;                                                                         \
        *info = info_;                                                                       \
    }
GESDD_REAL(s, float)
GESDD_REAL(d, double)

#define GESDD_CPLX(p, T, R)                                                                  \
    void scipy_##p##gesdd_(const char *, const i32 *, const i32 *, T *, const i32 *, R *,    \
                           T *, const i32 *, T *, const i32 *, T *, const i32 *, R *, i32 *, \
                           i32 *);                                                           \
    void scipy_##p##gesdd_64_(const char *jobz, const i64 *m, const i64 *n, T *a,            \
                              const i64 *lda, R *s, T *u, const i64 *ldu, T *vt,             \
                              const i64 *ldvt, T *work, const i64 *lwork, R *rwork,          \
                              i64 *iwork, i64 *info) {                                       \
        i32 m_ = N(*m), n_ = N(*n), lda_ = N(*lda), ldu_ = N(*ldu), ldvt_ = N(*ldvt);        \
        i32 lwork_ = N(*lwork), info_ = 0;                                                   \
        i32 *iw = ints(8 * (i64)(m_ < n_ ? m_ : n_), __func__);                              \
        scipy_##p##gesdd_(jobz, &m_, &n_, a, &lda_, s, u, &ldu_, vt, &ldvt_, work, &lwork_,  \
                          rwork, iw, &info_);                                                \
        free(iw);                                                                            \
        (void)iwork;                                                                         \
        *info = info_;                                                                       \
    }
GESDD_CPLX(c, void, float)
GESDD_CPLX(z, void, double)

/* gelsd: IWORK's size is not an argument; LAPACK says it (IWORK(1) of a workspace query),
 * and its documented formula bounds it (SMLSIZ = 25); the larger is allocated. IWORK(1)
 * goes back to numpy (its workspace query reads it). */
static i64 gelsd_liwork(i32 m, i32 n) {
    i64 minmn = m < n ? m : n, nlvl = 0;
    if (minmn > 0) {
        nlvl = (i64)(log((double)minmn / 26.0) / log(2.0)) + 1;
        if (nlvl < 0) nlvl = 0;
    }
    return 3 * minmn * nlvl + 11 * minmn + 1;
}

#define GELSD_REAL(p, T)                                                                     \
    void scipy_##p##gelsd_(const i32 *, const i32 *, const i32 *, T *, const i32 *, T *,     \
                           const i32 *, T *, const T *, i32 *, T *, const i32 *, i32 *,      \
                           i32 *);                                                           \
    void scipy_##p##gelsd_64_(const i64 *m, const i64 *n, const i64 *nrhs, T *a,             \
                              const i64 *lda, T *b, const i64 *ldb, T *s, const T *rcond,    \
                              i64 *rank, T *work, const i64 *lwork, i64 *iwork, i64 *info) { \
        i32 m_ = N(*m), n_ = N(*n), nrhs_ = N(*nrhs), lda_ = N(*lda), ldb_ = N(*ldb);        \
        i32 lwork_ = N(*lwork), rank_ = 0, info_ = 0, query = -1, iq = 0;                    \
        T wq[2];                                                                             \
        scipy_##p##gelsd_(&m_, &n_, &nrhs_, a, &lda_, b, &ldb_, s, rcond, &rank_, wq, &query, \
                          &iq, &info_);                                                      \
        i64 liwork = gelsd_liwork(m_, n_);                                                   \
        if (info_ == 0 && iq > liwork) liwork = iq;                                          \
        i32 *iw = ints(liwork, __func__);                                                    \
        iw[0] = 0;                                                                           \
        info_ = 0;                                                                           \
        scipy_##p##gelsd_(&m_, &n_, &nrhs_, a, &lda_, b, &ldb_, s, rcond, &rank_, work,      \
                          &lwork_, iw, &info_);                                              \
        iwork[0] = iw[0];                                                                    \
        free(iw);                                                                            \
        *rank = rank_;                                                                       \
        *info = info_;                                                                       \
    }
GELSD_REAL(s, float)
GELSD_REAL(d, double)

#define GELSD_CPLX(p, T, R)                                                                  \
    void scipy_##p##gelsd_(const i32 *, const i32 *, const i32 *, T *, const i32 *, T *,     \
                           const i32 *, R *, const R *, i32 *, T *, const i32 *, R *, i32 *, \
                           i32 *);                                                           \
    void scipy_##p##gelsd_64_(const i64 *m, const i64 *n, const i64 *nrhs, T *a,             \
                              const i64 *lda, T *b, const i64 *ldb, R *s, const R *rcond,    \
                              i64 *rank, T *work, const i64 *lwork, R *rwork, i64 *iwork,    \
                              i64 *info) {                                                   \
        i32 m_ = N(*m), n_ = N(*n), nrhs_ = N(*nrhs), lda_ = N(*lda), ldb_ = N(*ldb);        \
        i32 lwork_ = N(*lwork), rank_ = 0, info_ = 0, query = -1, iq = 0;                    \
        R wq[4], rq[2];                                                                      \
        scipy_##p##gelsd_(&m_, &n_, &nrhs_, a, &lda_, b, &ldb_, s, rcond, &rank_, wq, &query, \
                          rq, &iq, &info_);                                                  \
        i64 liwork = gelsd_liwork(m_, n_);                                                   \
        if (info_ == 0 && iq > liwork) liwork = iq;                                          \
        i32 *iw = ints(liwork, __func__);                                                    \
        iw[0] = 0;                                                                           \
        info_ = 0;                                                                           \
        scipy_##p##gelsd_(&m_, &n_, &nrhs_, a, &lda_, b, &ldb_, s, rcond, &rank_, work,      \
                          &lwork_, rwork, iw, &info_);                                       \
        iwork[0] = iw[0];                                                                    \
        free(iw);                                                                            \
        *rank = rank_;                                                                       \
        *info = info_;                                                                       \
    }
GELSD_CPLX(c, void, float)
GELSD_CPLX(z, void, double)

/* syevd / heevd: LIWORK is given (-1: a query, answered in IWORK(1)) */
#define SYEVD(p, T)                                                                          \
    void scipy_##p##syevd_(const char *, const char *, const i32 *, T *, const i32 *, T *,   \
                           T *, const i32 *, i32 *, const i32 *, i32 *);                     \
    void scipy_##p##syevd_64_(const char *jobz, const char *uplo, const i64 *n, T *a,        \
                              const i64 *lda, T *w, T *work, const i64 *lwork, i64 *iwork,   \
                              const i64 *liwork, i64 *info) {                                \
        i32 n_ = N(*n), lda_ = N(*lda), lwork_ = N(*lwork), liwork_ = N(*liwork), info_ = 0; \
        i32 *iw = ints(liwork_, __func__);                                                   \
        iw[0] = 0;                                                                           \
        scipy_##p##syevd_(jobz, uplo, &n_, a, &lda_, w, work, &lwork_, iw, &liwork_,         \
                          &info_);                                                           \
        iwork[0] = iw[0];                                                                    \
        free(iw);                                                                            \
        *info = info_;                                                                       \
    }
SYEVD(s, float)
SYEVD(d, double)

#define HEEVD(p, T, R)                                                                       \
    void scipy_##p##heevd_(const char *, const char *, const i32 *, T *, const i32 *, R *,   \
                           T *, const i32 *, R *, const i32 *, i32 *, const i32 *, i32 *);   \
    void scipy_##p##heevd_64_(const char *jobz, const char *uplo, const i64 *n, T *a,        \
                              const i64 *lda, R *w, T *work, const i64 *lwork, R *rwork,     \
                              const i64 *lrwork, i64 *iwork, const i64 *liwork, i64 *info) { \
        i32 n_ = N(*n), lda_ = N(*lda), lwork_ = N(*lwork), lrwork_ = N(*lrwork);            \
        i32 liwork_ = N(*liwork), info_ = 0;                                                 \
        i32 *iw = ints(liwork_, __func__);                                                   \
        iw[0] = 0;                                                                           \
        scipy_##p##heevd_(jobz, uplo, &n_, a, &lda_, w, work, &lwork_, rwork, &lrwork_, iw,  \
                          &liwork_, &info_);                                                 \
        iwork[0] = iw[0];                                                                    \
        free(iw);                                                                            \
        *info = info_;                                                                       \
    }
HEEVD(c, void, float)
HEEVD(z, void, double)

#define GEEV_REAL(p, T)                                                                      \
    void scipy_##p##geev_(const char *, const char *, const i32 *, T *, const i32 *, T *,    \
                          T *, T *, const i32 *, T *, const i32 *, T *, const i32 *, i32 *); \
    void scipy_##p##geev_64_(const char *jobvl, const char *jobvr, const i64 *n, T *a,       \
                             const i64 *lda, T *wr, T *wi, T *vl, const i64 *ldvl, T *vr,    \
                             const i64 *ldvr, T *work, const i64 *lwork, i64 *info) {        \
        i32 n_ = N(*n), lda_ = N(*lda), ldvl_ = N(*ldvl), ldvr_ = N(*ldvr);                  \
        i32 lwork_ = N(*lwork), info_ = 0;                                                   \
        scipy_##p##geev_(jobvl, jobvr, &n_, a, &lda_, wr, wi, vl, &ldvl_, vr, &ldvr_, work,  \
                         &lwork_, &info_);                                                   \
        *info = info_;                                                                       \
    }
GEEV_REAL(s, float)
GEEV_REAL(d, double)

#define GEEV_CPLX(p, T, R)                                                                   \
    void scipy_##p##geev_(const char *, const char *, const i32 *, T *, const i32 *, T *,    \
                          T *, const i32 *, T *, const i32 *, T *, const i32 *, R *, i32 *); \
    void scipy_##p##geev_64_(const char *jobvl, const char *jobvr, const i64 *n, T *a,       \
                             const i64 *lda, T *w, T *vl, const i64 *ldvl, T *vr,            \
                             const i64 *ldvr, T *work, const i64 *lwork, R *rwork,           \
                             i64 *info) {                                                    \
        i32 n_ = N(*n), lda_ = N(*lda), ldvl_ = N(*ldvl), ldvr_ = N(*ldvr);                  \
        i32 lwork_ = N(*lwork), info_ = 0;                                                   \
        scipy_##p##geev_(jobvl, jobvr, &n_, a, &lda_, w, vl, &ldvl_, vr, &ldvr_, work,       \
                         &lwork_, rwork, &info_);                                            \
        *info = info_;                                                                       \
    }
GEEV_CPLX(c, void, float)
GEEV_CPLX(z, void, double)

/* ---- what threadpoolctl asks an OpenBLAS (the one pool of SciPy's OpenBLAS) ---- */
char *scipy_openblas_get_config(void);
char *scipy_openblas_get_corename(void);
int scipy_openblas_get_num_procs(void);
int scipy_openblas_get_num_threads(void);
int scipy_openblas_get_parallel(void);
void scipy_openblas_set_num_threads(int);
char *scipy_openblas_get_config64_(void) { return scipy_openblas_get_config(); }
char *scipy_openblas_get_corename64_(void) { return scipy_openblas_get_corename(); }
int scipy_openblas_get_num_procs64_(void) { return scipy_openblas_get_num_procs(); }
int scipy_openblas_get_num_threads64_(void) { return scipy_openblas_get_num_threads(); }
int scipy_openblas_get_parallel64_(void) { return scipy_openblas_get_parallel(); }
void scipy_openblas_set_num_threads64_(int n) { scipy_openblas_set_num_threads(n); }
