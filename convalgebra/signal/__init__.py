"""convalgebra.signal: resampling, recursive filters, filter banks and wavelets built from the
algebra.

SciPy's ``upfirdn``, ``resample_poly``, ``decimate`` (IIR by default, as SciPy), the recursive
filters ``lfilter``/``sosfilt``/``filtfilt``/``sosfiltfilt`` (also as operators, ``lfilter_op``
and ``sosfilt_op``) with ``butter``/``cheby1`` designs, and PyWavelets' discrete wavelet
transforms (``dwt``/``idwt``, ``wavedec``/``waverec``, 2-D and N-D, stationary ``swt``/``iswt``)
in every signal-extension mode, with the same values. Neither SciPy nor PyWavelets is needed at
run time; wavelet *names* need PyWavelets (the ``signal`` extra), filters given as arrays do not.
"""

from ._decimate import decimate as decimate
from ._design import butter as butter
from ._design import cheby1 as cheby1
from ._design import freqz as freqz
from ._design import iirfilter as iirfilter
from ._design import sosfreqz as sosfreqz
from ._design import tf2zpk as tf2zpk
from ._design import zpk2sos as zpk2sos
from ._design import zpk2tf as zpk2tf
from ._dwt import analysis_op as analysis_op
from ._dwt import dwt as dwt
from ._dwt import idwt as idwt
from ._dwt import synthesis_op as synthesis_op
from ._dwt import synthesis_ops as synthesis_ops
from ._extend import MODES as EXTEND_MODES
from ._extend import Extend as Extend
from ._extend import extend_op as extend_op
from ._fir import firwin as firwin
from ._fir import kaiser_atten as kaiser_atten
from ._fir import kaiser_beta as kaiser_beta
from ._fir import kaiserord as kaiserord
from ._iir import filtfilt as filtfilt
from ._iir import lfilter as lfilter
from ._iir import lfilter_op as lfilter_op
from ._iir import lfilter_zi as lfilter_zi
from ._iir import sosfilt as sosfilt
from ._iir import sosfilt_op as sosfilt_op
from ._iir import sosfilt_zi as sosfilt_zi
from ._iir import sosfiltfilt as sosfiltfilt
from ._modes import PYWT_MODES as PYWT_MODES
from ._modes import SCIPY_MODES as SCIPY_MODES
from ._mra import imra as imra
from ._mra import imra2 as imra2
from ._mra import imran as imran
from ._mra import mra as mra
from ._mra import mra2 as mra2
from ._mra import mran as mran
from ._multi import cascade as cascade
from ._multi import dwt2_op as dwt2_op
from ._multi import dwt_op as dwt_op
from ._multi import nest as nest
from ._multi import on_low as on_low
from ._multi import wavedec_op as wavedec_op
from ._multidim import dwt2 as dwt2
from ._multidim import dwtn as dwtn
from ._multidim import idwt2 as idwt2
from ._multidim import idwtn as idwtn
from ._multidim import wavedec2 as wavedec2
from ._multidim import waverec2 as waverec2
from ._multilevel import wavedec as wavedec
from ._multilevel import waverec as waverec
from ._packets import wp_decompose as wp_decompose
from ._packets import wp_decompose2 as wp_decompose2
from ._packets import wp_op as wp_op
from ._packets import wp_paths as wp_paths
from ._packets import wp_reconstruct as wp_reconstruct
from ._packets import wp_reconstruct2 as wp_reconstruct2
from ._peraxis import dwt_coeff_len as dwt_coeff_len
from ._peraxis import dwt_max_level as dwt_max_level
from ._swt import iswt as iswt
from ._swt import swt as swt
from ._swt import swt_max_level as swt_max_level
from ._swt import swt_op as swt_op
from ._swtn import iswt2 as iswt2
from ._swtn import iswtn as iswtn
from ._swtn import swt2 as swt2
from ._swtn import swtn as swtn
from ._threshold import threshold as threshold
from ._threshold import threshold_firm as threshold_firm
from ._upfirdn import resample_poly as resample_poly
from ._upfirdn import resample_poly_op as resample_poly_op
from ._upfirdn import upfirdn as upfirdn
from ._upfirdn import upfirdn_length as upfirdn_length
from ._upfirdn import upfirdn_op as upfirdn_op
from ._wavedecn import wavedecn as wavedecn
from ._wavedecn import waverecn as waverecn
from ._wavelet import Wavelet as Wavelet
from ._wavelet import wavelet as wavelet

__all__ = [
    "EXTEND_MODES",
    "PYWT_MODES",
    "SCIPY_MODES",
    "Extend",
    "Wavelet",
    "analysis_op",
    "butter",
    "cascade",
    "cheby1",
    "decimate",
    "dwt",
    "dwt2",
    "dwt2_op",
    "dwt_coeff_len",
    "dwt_max_level",
    "dwt_op",
    "dwtn",
    "extend_op",
    "filtfilt",
    "firwin",
    "freqz",
    "idwt",
    "idwt2",
    "idwtn",
    "iirfilter",
    "imra",
    "imra2",
    "imran",
    "iswt",
    "iswt2",
    "iswtn",
    "kaiser_atten",
    "kaiser_beta",
    "kaiserord",
    "lfilter",
    "lfilter_op",
    "lfilter_zi",
    "mra",
    "mra2",
    "mran",
    "nest",
    "on_low",
    "resample_poly",
    "resample_poly_op",
    "sosfilt",
    "sosfilt_op",
    "sosfilt_zi",
    "sosfiltfilt",
    "sosfreqz",
    "swt",
    "swt2",
    "swt_max_level",
    "swt_op",
    "swtn",
    "synthesis_op",
    "synthesis_ops",
    "tf2zpk",
    "threshold",
    "threshold_firm",
    "upfirdn",
    "upfirdn_length",
    "upfirdn_op",
    "wavedec",
    "wavedec2",
    "wavedec_op",
    "wavedecn",
    "wavelet",
    "waverec",
    "waverec2",
    "waverecn",
    "wp_decompose",
    "wp_decompose2",
    "wp_op",
    "wp_paths",
    "wp_reconstruct",
    "wp_reconstruct2",
    "zpk2sos",
    "zpk2tf",
]
